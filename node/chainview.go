package node

import (
	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
)

// chainView is blocksync's read-only view of the chain (blocksync.Chain):
// the fork database plus the block log, with the two lookups blocksync makes
// per block kept cheap. BestAt is O(1) through an index of the best chain
// above the irreversible block, refreshed from each Result's diff (forkdb's
// own BestAt walks from the head, which makes streaming a long unfinalized
// chain quadratic). Block bodies above the irreversible block are kept in
// memory (they are sent to every peer) instead of decoded from pebble again.
//
// It belongs to the loop goroutine, like the Chain.
type chainView struct {
	c *chain.Chain
	// best maps heights above the irreversible block to best-chain ids.
	// Entries above the head's height are stale and ignored.
	best map[uint64]block.ID
	// bodies holds the blocks of the fork database above the irreversible
	// block. Invariant: a subset of the tree's blocks (dropped when pruned).
	bodies map[block.ID]*block.Block
}

var _ blocksync.Chain = (*chainView)(nil)

func newChainView(c *chain.Chain) *chainView {
	v := &chainView{c: c, best: map[uint64]block.ID{}, bodies: map[block.ID]*block.Block{}}
	head := c.HeadID()
	for h := c.IrreversibleID().Height() + 1; h <= head.Height(); h++ {
		if id, ok := c.Tree().Ancestor(head, h); ok {
			v.best[h] = id
		}
	}
	return v
}

// keep remembers a body just added or produced.
func (v *chainView) keep(b *block.Block) { v.bodies[b.ID()] = b }

// update applies a Result to the index and drops pruned bodies.
func (v *chainView) update(r chain.Result) {
	for _, id := range r.Added {
		v.best[id.Height()] = id
	}
	for _, id := range r.Pruned {
		delete(v.bodies, id)
	}
}

// irreversible drops what the irreversible block passed.
func (v *chainView) irreversible(prev, now block.ID) {
	for h := prev.Height(); h <= now.Height(); h++ {
		if id, ok := v.best[h]; ok {
			delete(v.bodies, id)
			delete(v.best, h)
		}
	}
	delete(v.bodies, prev)
}

func (v *chainView) Head() block.ID         { return v.c.HeadID() }
func (v *chainView) Irreversible() block.ID { return v.c.IrreversibleID() }

func (v *chainView) BestAt(height uint64) (block.ID, bool) {
	root := v.c.IrreversibleID()
	head := v.c.HeadID()
	switch {
	case height > head.Height():
		return block.ID{}, false
	case height == root.Height():
		return root, true
	case height > root.Height():
		id, ok := v.best[height]
		return id, ok
	}
	id, err := v.c.Log().IDAt(height)
	return id, err == nil
}

func (v *chainView) Ancestor(id block.ID, height uint64) (block.ID, bool) {
	return v.c.Tree().Ancestor(id, height)
}

func (v *chainView) Header(id block.ID) (block.SignedHeader, bool) {
	if h, ok := v.c.Tree().Get(id); ok {
		return h, true
	}
	// The header record, never the body: peers name old blocks in every
	// hello (issue 11, attack 2).
	h, err := v.c.Header(id)
	return h, err == nil
}

func (v *chainView) Block(id block.ID) (*block.Block, bool) {
	if b, ok := v.bodies[id]; ok {
		return b, true
	}
	b, err := v.c.Block(id)
	return b, err == nil
}
