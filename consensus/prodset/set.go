package prodset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
)

// Member is one producer: its ed25519 block-signing key and the libp2p
// peer id (raw bytes) that embeds it.
type Member struct {
	Key  block.PublicKey
	Peer string
}

// Set is an immutable producer set, its members in ascending key order.
//
// Invariant: no two members share a key or a peer id; Hash is
// block.ProducerSetHash of the keys.
type Set struct {
	members []Member
	byKey   map[block.PublicKey]int
	byPeer  map[string]int
	hash    block.Hash
}

// NewSet returns the set of ms. It fails on a repeated key or peer id or an
// empty set: a chain always has a producer.
func NewSet(ms []Member) (*Set, error) {
	if len(ms) == 0 {
		return nil, &Error{Reason: ReasonBadChange, Detail: "an empty producer set"}
	}
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(a, b Member) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	s := &Set{members: sorted, byKey: make(map[block.PublicKey]int, len(ms)), byPeer: make(map[string]int, len(ms))}
	keys := make([]block.PublicKey, len(sorted))
	for i, m := range sorted {
		if _, dup := s.byKey[m.Key]; dup {
			return nil, fmt.Errorf("prodset: key %s listed twice", m.Key)
		}
		if _, dup := s.byPeer[m.Peer]; dup {
			return nil, fmt.Errorf("prodset: peer %x listed twice", m.Peer)
		}
		s.byKey[m.Key], s.byPeer[m.Peer], keys[i] = i, i, m.Key
	}
	s.hash = block.ProducerSetHash(keys)
	return s, nil
}

// Len is the number of producers.
func (s *Set) Len() int { return len(s.members) }

// Hash is block.ProducerSetHash of the keys: what headers carry.
func (s *Set) Hash() block.Hash { return s.hash }

// Members returns the producers in ascending key order (a copy).
func (s *Set) Members() []Member { return slices.Clone(s.members) }

// Keys returns the producers' keys in ascending order.
func (s *Set) Keys() []block.PublicKey {
	out := make([]block.PublicKey, len(s.members))
	for i, m := range s.members {
		out[i] = m.Key
	}
	return out
}

// PeerOf returns the peer id of the producer with key k.
func (s *Set) PeerOf(k block.PublicKey) (string, bool) {
	i, ok := s.byKey[k]
	if !ok {
		return "", false
	}
	return s.members[i].Peer, true
}

// KeyOf returns the key of the producer with peer id p.
func (s *Set) KeyOf(p string) (block.PublicKey, bool) {
	i, ok := s.byPeer[p]
	if !ok {
		return block.PublicKey{}, false
	}
	return s.members[i].Key, true
}

// HasKey reports whether k is a producer's key.
func (s *Set) HasKey(k block.PublicKey) bool { _, ok := s.byKey[k]; return ok }

// HasPeer reports whether p is a producer's peer id.
func (s *Set) HasPeer(p string) bool { _, ok := s.byPeer[p]; return ok }

// Apply returns the set after c, or a *Error (ReasonBadChange) saying why c
// does not fit s: an add of a peer id that embeds no ed25519 key or is a
// producer already, a remove of a non-producer or of the last producer.
func (s *Set) Apply(c Change) (*Set, error) {
	bad := func(format string, args ...any) error {
		return &Error{Reason: ReasonBadChange, Detail: fmt.Sprintf(format, args...)}
	}
	switch c.Op {
	case OpAdd:
		k, err := PeerKey(c.Peer)
		if err != nil {
			return nil, bad("%v", err)
		}
		if s.HasPeer(c.Peer) || s.HasKey(k) {
			return nil, bad("%s is already a producer", PeerString(c.Peer))
		}
		return NewSet(append(s.Members(), Member{Key: k, Peer: c.Peer}))
	case OpRemove:
		i, ok := s.byPeer[c.Peer]
		if !ok {
			return nil, bad("%s is not a producer", PeerString(c.Peer))
		}
		if s.Len() == 1 {
			return nil, bad("%s is the last producer", PeerString(c.Peer))
		}
		return NewSet(slices.Delete(s.Members(), i, i+1))
	}
	return nil, bad("unknown operation %d", c.Op)
}

// Encode returns the set's state record: for each producer in ascending key
// order its 32-byte key, a uvarint length and its peer id's bytes.
func (s *Set) Encode() []byte {
	var b []byte
	for _, m := range s.members {
		b = append(b, m.Key[:]...)
		b = binary.AppendUvarint(b, uint64(len(m.Peer)))
		b = append(b, m.Peer...)
	}
	return b
}

// DecodeSet parses a state record written by Encode.
func DecodeSet(b []byte) (*Set, error) {
	var ms []Member
	for len(b) > 0 {
		var m Member
		if len(b) < len(m.Key) {
			return nil, fmt.Errorf("prodset: producer set record truncated")
		}
		copy(m.Key[:], b)
		b = b[len(m.Key):]
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return nil, fmt.Errorf("prodset: producer set record truncated")
		}
		m.Peer = string(b[w : w+int(n)])
		ms = append(ms, m)
		b = b[w+int(n):]
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("prodset: empty producer set record")
	}
	return NewSet(ms)
}
