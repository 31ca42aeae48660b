package bft

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/quorum"
)

// MaxSigners bounds the signer index space of a set (old and new members
// together while joint); certificates name signers by index in it.
const MaxSigners = 1024

// Set is the producer set in force: the signer index space, the quorum rule
// and the leader rotation. A plain set needs ⌊2n/3⌋+1 of its n producers.
// A joint set (a producer-set change in progress) needs that quorum of the
// new set AND of the old one, so nothing is decided by either set alone
// until the change is final; its index space is the new set's keys in the
// given order followed by the old set's keys that are not in the new set,
// and leaders rotate over the new set. A Set is immutable.
type Set struct {
	keys    []block.PublicKey
	index   map[block.PublicKey]int
	rule    quorum.Rule
	leaders []int
	joint   bool
}

// NewSet returns the plain set of keys, in the given order (the order is
// part of consensus: it fixes signer indexes and the leader rotation).
func NewSet(keys []block.PublicKey) (*Set, error) {
	return newSet(keys, nil)
}

// NewJointSet returns the joint set that needs quorums of both next and
// prev: the set in force while a change from prev to next is not final.
func NewJointSet(prev, next []block.PublicKey) (*Set, error) {
	if len(prev) == 0 {
		return nil, fmt.Errorf("bft: joint set with an empty old set")
	}
	return newSet(next, prev)
}

func newSet(next, prev []block.PublicKey) (*Set, error) {
	if len(next) == 0 {
		return nil, fmt.Errorf("bft: empty producer set")
	}
	s := &Set{index: map[block.PublicKey]int{}, joint: prev != nil}
	for _, k := range next {
		if _, dup := s.index[k]; dup {
			return nil, fmt.Errorf("bft: producer %s listed twice", k)
		}
		s.index[k] = len(s.keys)
		s.keys = append(s.keys, k)
	}
	seenPrev := map[block.PublicKey]bool{}
	for _, k := range prev {
		if seenPrev[k] {
			return nil, fmt.Errorf("bft: old producer %s listed twice", k)
		}
		seenPrev[k] = true
		if _, in := s.index[k]; !in {
			s.index[k] = len(s.keys)
			s.keys = append(s.keys, k)
		}
	}
	if len(s.keys) > MaxSigners {
		return nil, fmt.Errorf("bft: %d signers, at most %d", len(s.keys), MaxSigners)
	}
	group := func(keys []block.PublicKey) quorum.Group {
		m := quorum.NewBitmap(len(s.keys))
		for _, k := range keys {
			m.Set(s.index[k])
		}
		return quorum.Group{Members: m, Need: quorum.BFT(len(keys))}
	}
	s.rule = quorum.Rule{group(next)}
	if prev != nil {
		s.rule = append(s.rule, group(prev))
	}
	for i := range next {
		s.leaders = append(s.leaders, i)
	}
	return s, nil
}

// Len returns the size of the signer index space.
func (s *Set) Len() int { return len(s.keys) }

// Key returns signer i's key.
func (s *Set) Key(i int) block.PublicKey { return s.keys[i] }

// Index returns the signer index of key.
func (s *Set) Index(key block.PublicKey) (int, bool) {
	i, ok := s.index[key]
	return i, ok
}

// Joint reports whether the set is a joint (changing) configuration.
func (s *Set) Joint() bool { return s.joint }

// Rule returns the quorum rule.
func (s *Set) Rule() quorum.Rule { return s.rule }

// Leader returns the signer index of view's leader: round-robin over the new
// set, so every producer leads once every len(new set) views.
func (s *Set) Leader(view uint64) int { return s.leaders[view%uint64(len(s.leaders))] }

// Faulty returns how many byzantine signers the smallest group tolerates
// (the f a test may corrupt).
func (s *Set) Faulty() int {
	f := MaxSigners
	for _, g := range s.rule {
		f = min(f, quorum.MaxFaulty(g.Members.Count()))
	}
	return f
}

// Self finds key's public half in the set.
func (s *Set) Self(key ed25519.PrivateKey) (int, bool) {
	if len(key) != ed25519.PrivateKeySize {
		return 0, false
	}
	var pub block.PublicKey
	copy(pub[:], key.Public().(ed25519.PublicKey))
	return s.Index(pub)
}

// Equal reports whether two sets have the same index space and rule.
func (s *Set) Equal(o *Set) bool {
	if len(s.keys) != len(o.keys) || s.joint != o.joint || len(s.leaders) != len(o.leaders) {
		return false
	}
	for i := range s.keys {
		if s.keys[i] != o.keys[i] {
			return false
		}
	}
	for i := range s.rule {
		if !bytes.Equal(s.rule[i].Members, o.rule[i].Members) {
			return false
		}
	}
	return true
}
