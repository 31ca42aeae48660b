package bftchain

import (
	"fmt"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/prodset"
)

// KeepSets is how many of the most recent final producer sets a Follower
// accepts certificates from (each plain, and each pair joint). Producers
// that lag an epoch or two behind still carry valid certificates; a set
// replaced KeepSets changes ago is no longer trusted (a long-retired set's
// keys may have leaked).
const KeepSets = 4

// Follower verifies finality from blocks alone, as a full node that is no
// producer or a light client does: it starts from a block it trusts to be
// final and the producer set in force after it, accepts blocks whose
// parent it holds, and treats a block (with its ancestors) as final only
// when some later block's body carries a certificate that verifies
// against a set the final chain put in force. Producer-set changes (the
// signed change transactions of consensus/prodset) in blocks that become
// final change the sets it accepts. It is pure and not safe for concurrent
// use.
type Follower struct {
	chain block.Hash
	root  block.ID
	// pending are blocks above root whose parent is root or pending.
	// Invariant: every pending block descends from root.
	pending map[block.ID]*block.Block
	max     int
	// sets are the recent final producer sets, oldest first, the last in
	// force; epochs the epochs made of them that may sign.
	sets   []*prodset.Set
	epochs map[Tag]*Epoch
	// early is the block a verified certificate that came on its own
	// (AddCert) finalizes, before the block itself arrived; zero if none.
	// Invariant: early is zero or above root.
	early block.ID
}

// NewFollower returns a follower that trusts root to be final, producers
// to be the set in force after it, and keeps at most maxPending blocks
// that are not final yet.
func NewFollower(chain block.Hash, root block.ID, producers []block.PublicKey, maxPending int) (*Follower, error) {
	set, err := keySet(producers)
	if err != nil {
		return nil, err
	}
	f := &Follower{chain: chain, root: root, pending: map[block.ID]*block.Block{}, max: maxPending}
	if err := f.pushSet(set); err != nil {
		return nil, err
	}
	return f, nil
}

func keySet(keys []block.PublicKey) (*prodset.Set, error) {
	ms := make([]prodset.Member, len(keys))
	for i, k := range keys {
		ms[i] = prodset.Member{Key: k, Peer: prodset.PeerOfKey(k)}
	}
	return prodset.NewSet(ms)
}

// pushSet makes s the set in force and rebuilds the epochs that may sign.
func (f *Follower) pushSet(s *prodset.Set) error {
	f.sets = append(f.sets, s)
	if len(f.sets) > KeepSets {
		f.sets = f.sets[len(f.sets)-KeepSets:]
	}
	f.epochs = map[Tag]*Epoch{}
	for i, next := range f.sets {
		for j := -1; j < i; j++ {
			var prev []block.PublicKey
			if j >= 0 {
				prev = f.sets[j].Keys()
			}
			e, err := NewEpoch(next.Keys(), prev)
			if err != nil {
				return err
			}
			f.epochs[e.Tag] = e
		}
	}
	return nil
}

// Final returns the last block known final.
func (f *Follower) Final() block.ID { return f.root }

// Producers returns the producer set in force after the final block.
func (f *Follower) Producers() []block.PublicKey { return f.sets[len(f.sets)-1].Keys() }

// Add checks b (header signature, transaction root) and keeps it; if its
// body carries a certificate, Add verifies it and returns the blocks it
// made final, lowest first. Nothing is made final unless the certificate
// verified entirely; a refused block leaves the follower unchanged.
func (f *Follower) Add(b *block.Block) ([]block.ID, error) {
	id := b.ID()
	if id.Height() <= f.root.Height() {
		return nil, nil // at or below the final block: nothing to learn
	}
	if err := b.Check(); err != nil {
		return nil, &Error{Reason: ReasonBadBlock, Detail: err.Error()}
	}
	if _, ok := f.pending[b.Parent]; !ok && b.Parent != f.root {
		return nil, &Error{Reason: ReasonUnknownParent, Detail: fmt.Sprintf("block %s on %s", id, b.Parent)}
	}
	var c *bft.Certificate
	if len(b.Certificate) > 0 {
		var err error
		if c, err = f.verify(b.Certificate); err != nil {
			return nil, err
		}
	}
	if _, ok := f.pending[id]; !ok && len(f.pending) >= f.max {
		return nil, &Error{Reason: ReasonTooMany, Detail: fmt.Sprintf("%d blocks pending", len(f.pending))}
	}
	f.pending[id] = b
	if c == nil || c.Block.Height() <= f.root.Height() {
		return f.applyEarly(id)
	}
	out, err := f.finalize(c.Block)
	if err != nil {
		return out, err
	}
	more, err := f.applyEarly(id) // b itself was certified on its own
	return append(out, more...), err
}

// verify finds the epoch a certificate names and verifies it there.
func (f *Follower) verify(raw []byte) (*bft.Certificate, error) {
	tag, _, err := DecodeCert(raw)
	if err != nil {
		return nil, err
	}
	e, ok := f.epochs[tag]
	if !ok {
		return nil, &Error{Reason: ReasonUnknownSet, Detail: fmt.Sprintf("certificate of epoch %x", tag[:4])}
	}
	return VerifyCert(f.chain, raw, e)
}

// finalize makes x and its pending ancestors final, applies the producer-set
// changes they carry, and drops pending blocks that no longer descend from
// the final block.
func (f *Follower) finalize(x block.ID) ([]block.ID, error) {
	var path []*block.Block
	for id := x; id != f.root; {
		b, ok := f.pending[id]
		if !ok {
			return nil, &Error{Reason: ReasonConflict, Detail: fmt.Sprintf("finalized block %s does not descend from final %s", x, f.root)}
		}
		path = append(path, b)
		id = b.Parent
	}
	slices.Reverse(path)
	out := make([]block.ID, len(path))
	for i, b := range path {
		out[i] = b.ID()
		if err := f.applyChanges(b); err != nil {
			return nil, err
		}
	}
	f.root = x
	if f.early.Height() <= x.Height() {
		f.early = block.ID{}
	}
	f.prune()
	return out, nil
}

// applyChanges applies the producer-set changes of a final block. A final
// block is valid (a quorum executed it), so every change transaction in it
// took effect (an unauthorised one makes the whole block invalid).
func (f *Follower) applyChanges(b *block.Block) error {
	cur := f.sets[len(f.sets)-1]
	changed := false
	for _, tx := range b.Txs {
		t, ok, err := prodset.DecodeTx(tx)
		if !ok || err != nil {
			continue
		}
		next, err := cur.Apply(t.Change)
		if err != nil {
			return &Error{Reason: ReasonBadBlock, Detail: fmt.Sprintf("final block %s: %v", b.ID(), err)}
		}
		cur, changed = next, true
	}
	if !changed {
		return nil
	}
	return f.pushSet(cur)
}

// prune keeps the pending blocks that descend from the final block.
func (f *Follower) prune() {
	keep := map[block.ID]bool{f.root: true}
	var descends func(id block.ID) bool
	descends = func(id block.ID) bool {
		if v, ok := keep[id]; ok {
			return v
		}
		b, ok := f.pending[id]
		r := ok && b.Height > f.root.Height() && descends(b.Parent)
		keep[id] = r
		return r
	}
	for id := range f.pending {
		if !descends(id) {
			delete(f.pending, id)
		}
	}
}
