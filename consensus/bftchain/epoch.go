package bftchain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// Tag names an epoch's signer set: a SHA-256 over its keys (see EpochTag).
// Messages and block certificates carry it, so a certificate is verified
// against exactly the set that made it.
type Tag = block.Hash

// domainEpoch separates epoch tags from every other hash of keys.
const domainEpoch = "blockwire/bft/epoch/v1"

// Epoch is the producer set that signs in a stretch of views: plain (Prev
// nil: a quorum of Next) or joint (quorums of both Next and Prev). An
// Epoch is immutable.
type Epoch struct {
	// Next is the set in force, Prev the set it replaces while joint; both
	// in ascending key order (the order fixes signer indexes and leaders).
	Next, Prev []block.PublicKey
	// Set is the bft.Set that counts votes in this epoch.
	Set *bft.Set
	// Tag is EpochTag(Next, Prev).
	Tag Tag
}

// NewEpoch returns the epoch of next (plain when prev is empty, else
// joint with prev). The keys are sorted; the callers' slices are kept
// unchanged.
func NewEpoch(next, prev []block.PublicKey) (*Epoch, error) {
	e := &Epoch{Next: sorted(next)}
	var err error
	if len(prev) == 0 {
		e.Set, err = bft.NewSet(e.Next)
	} else {
		e.Prev = sorted(prev)
		e.Set, err = bft.NewJointSet(e.Prev, e.Next)
	}
	if err != nil {
		return nil, fmt.Errorf("bftchain: %w", err)
	}
	e.Tag = EpochTag(e.Next, e.Prev)
	return e, nil
}

// EpochTag is SHA-256("blockwire/bft/epoch/v1" ‖ uvarint(len next) ‖ next
// keys ‖ uvarint(len prev) ‖ prev keys), keys in ascending order.
func EpochTag(next, prev []block.PublicKey) Tag {
	h := sha256.New()
	b := append([]byte(domainEpoch), binary.AppendUvarint(nil, uint64(len(next)))...)
	for _, k := range next {
		b = append(b, k[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(prev)))
	for _, k := range prev {
		b = append(b, k[:]...)
	}
	h.Write(b)
	var t Tag
	copy(t[:], h.Sum(nil))
	return t
}

// Joint reports whether the epoch needs both sets' quorums.
func (e *Epoch) Joint() bool { return len(e.Prev) > 0 }

// Successor applies the switching rule to a finalization made in e whose
// block leaves final, the producer set in force after it (from the
// chain's state), in force:
//
//   - plain e, final == e.Next: no change (nil);
//   - plain e, final != e.Next: joint(next = final, prev = e.Next);
//   - joint e, final == e.Next: plain(e.Next) — the change is final under
//     both quorums, the old set is done;
//   - joint e, final != e.Next (another change became final meanwhile):
//     joint(final, e.Next).
//
// The driver starts the successor epoch rooted at that finalization's
// block. Every certificate of a joint epoch holds a quorum of the set
// before it, so a producer still in the earlier epoch (it has not seen the
// finalization yet) can never certify anything that conflicts with it;
// and a plain epoch of a new set starts only after a finalization that a
// quorum of that set signed in the joint epoch (docs/protocol.md §11).
func (e *Epoch) Successor(final []block.PublicKey) (*Epoch, error) {
	final = sorted(final)
	same := slices.Equal(final, e.Next)
	switch {
	case !e.Joint() && same:
		return nil, nil
	case e.Joint() && same:
		return NewEpoch(e.Next, nil)
	}
	return NewEpoch(final, e.Next)
}

// Has reports whether key signs in the epoch (in either set).
func (e *Epoch) Has(key block.PublicKey) bool {
	_, ok := e.Set.Index(key)
	return ok
}

func sorted(keys []block.PublicKey) []block.PublicKey {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b block.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// EncodeEpoch is an epoch's durable form (a driver saves it with its root
// so a restart resumes the same epoch): root view (8, big-endian), root id
// (32), uvarint count and keys of Next, uvarint count and keys of Prev.
func EncodeEpoch(root bft.Root, e *Epoch) []byte {
	b := binary.BigEndian.AppendUint64(nil, root.View)
	b = append(b, root.ID[:]...)
	for _, ks := range [][]block.PublicKey{e.Next, e.Prev} {
		b = binary.AppendUvarint(b, uint64(len(ks)))
		for _, k := range ks {
			b = append(b, k[:]...)
		}
	}
	return b
}

// DecodeEpoch parses EncodeEpoch's output.
func DecodeEpoch(b []byte) (bft.Root, *Epoch, error) {
	var root bft.Root
	if len(b) < 40 {
		return root, nil, fmt.Errorf("bftchain: epoch record of %d bytes", len(b))
	}
	root.View = binary.BigEndian.Uint64(b)
	copy(root.ID[:], b[8:40])
	b = b[40:]
	var sets [2][]block.PublicKey
	for i := range sets {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > bft.MaxSigners || uint64(len(b)-w) < n*32 {
			return root, nil, fmt.Errorf("bftchain: epoch record truncated")
		}
		b = b[w:]
		for range n {
			var k block.PublicKey
			copy(k[:], b)
			sets[i] = append(sets[i], k)
			b = b[32:]
		}
	}
	if len(b) != 0 {
		return root, nil, fmt.Errorf("bftchain: %d trailing bytes in epoch record", len(b))
	}
	e, err := NewEpoch(sets[0], sets[1])
	return root, e, err
}
