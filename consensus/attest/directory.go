package attest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
)

// domainSelect tags the rendezvous hash of verifier selection.
const domainSelect = "blockwire/attest/select/v1"

// Member is a verifier as it announced itself routable: its key (its node
// identity), the level it serves and its labels. Operator is the label
// selection spreads over: two verifiers run by one operator are one
// failure domain.
type Member struct {
	Key      block.PublicKey
	Level    uint8
	Operator string
	Labels   map[string]string
}

// matches reports whether m qualifies for lv.
func (m *Member) matches(lv *Level) bool {
	if m.Level != lv.Number {
		return false
	}
	for k, v := range lv.Labels {
		if got, ok := m.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Directory is the set of verifiers a scheduler selects from. It is
// immutable: the driver builds a new one when announcements change and
// hands it to Scheduler.SetDirectory.
type Directory struct {
	members []Member // ascending key order
	byKey   map[block.PublicKey]int
}

// NewDirectory returns the directory of ms; a key listed twice is an error.
func NewDirectory(ms []Member) (*Directory, error) {
	d := &Directory{members: slices.Clone(ms), byKey: make(map[block.PublicKey]int, len(ms))}
	slices.SortFunc(d.members, func(a, b Member) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	for i, m := range d.members {
		if _, dup := d.byKey[m.Key]; dup {
			return nil, fmt.Errorf("attest: verifier %x announced twice", m.Key[:8])
		}
		d.byKey[m.Key] = i
	}
	return d, nil
}

// Len is the number of verifiers.
func (d *Directory) Len() int { return len(d.members) }

// Member returns the verifier with key k.
func (d *Directory) Member(k block.PublicKey) (Member, bool) {
	i, ok := d.byKey[k]
	if !ok {
		return Member{}, false
	}
	return d.members[i], true
}

// Ranked returns the verifiers qualifying for lv, in the order a
// scheduler asks them for block id: rendezvous (highest random weight)
// hashing over (block, level, key), so each block spreads over different
// verifiers and removing one verifier moves only the blocks it held; then
// reordered so that each operator's best verifier comes before any
// operator's second. Any node with the same directory computes the same
// order, so who was asked — and who replaced whom — can be audited.
func (d *Directory) Ranked(lv *Level, id block.ID) []block.PublicKey {
	type scored struct {
		m     *Member
		score [32]byte
	}
	var c []scored
	for i := range d.members {
		if m := &d.members[i]; m.matches(lv) {
			c = append(c, scored{m, rendezvous(id, lv.Number, m.Key)})
		}
	}
	slices.SortFunc(c, func(a, b scored) int { return bytes.Compare(b.score[:], a.score[:]) })
	out := make([]block.PublicKey, 0, len(c))
	seen := map[string]bool{}
	var later []block.PublicKey
	for _, s := range c {
		if seen[s.m.Operator] {
			later = append(later, s.m.Key)
			continue
		}
		seen[s.m.Operator] = true
		out = append(out, s.m.Key)
	}
	return append(out, later...)
}

func rendezvous(id block.ID, level uint8, key block.PublicKey) [32]byte {
	h := sha256.New()
	h.Write([]byte(domainSelect))
	h.Write(id[:])
	h.Write([]byte{level})
	h.Write(key[:])
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// Members returns a copy of the verifiers, in ascending key order.
func (d *Directory) Members() []Member { return slices.Clone(d.members) }
