package chain

import (
	"github.com/blockwire/blockwire/chain/block"
)

// SyncView is blocksync's read-only view of the chain (blocksync.Chain):
// the fork database plus the block log, with the two lookups blocksync makes
// per block kept cheap. BestAt is O(1) through an index of the best chain
// above the irreversible block, refreshed from each Result's diff (forkdb's
// own BestAt walks from the head, which makes streaming a long unfinalized
// chain quadratic). Block bodies above the irreversible block are kept in
// memory (they are sent to every peer) instead of decoded from pebble again.
//
// It belongs to the goroutine that owns the Chain; the owner tells it
// about every change (Keep, Update, Passed).
type SyncView struct {
	c *Chain
	// best maps heights above the irreversible block to best-chain ids.
	// Entries above the head's height are stale and ignored.
	best map[uint64]block.ID
	// bodies holds the blocks of the fork database above the irreversible
	// block. Invariant: a subset of the tree's blocks (dropped when pruned).
	bodies map[block.ID]*block.Block
}

// NewSyncView indexes c's best chain above its irreversible block.
func NewSyncView(c *Chain) *SyncView {
	v := &SyncView{c: c, best: map[uint64]block.ID{}, bodies: map[block.ID]*block.Block{}}
	head := c.HeadID()
	for h := c.IrreversibleID().Height() + 1; h <= head.Height(); h++ {
		if id, ok := c.Tree().Ancestor(head, h); ok {
			v.best[h] = id
		}
	}
	return v
}

// Keep remembers a body just added or produced.
func (v *SyncView) Keep(b *block.Block) { v.bodies[b.ID()] = b }

// Update applies a Result to the index and drops pruned bodies.
func (v *SyncView) Update(r Result) {
	for _, id := range r.Added {
		v.best[id.Height()] = id
	}
	for _, id := range r.Pruned {
		delete(v.bodies, id)
	}
}

// Passed drops what the irreversible block passed (from prev to now).
func (v *SyncView) Passed(prev, now block.ID) {
	for h := prev.Height(); h <= now.Height(); h++ {
		if id, ok := v.best[h]; ok {
			delete(v.bodies, id)
			delete(v.best, h)
		}
	}
	delete(v.bodies, prev)
}

// Head is the best head.
func (v *SyncView) Head() block.ID { return v.c.HeadID() }

// Irreversible is the irreversible block.
func (v *SyncView) Irreversible() block.ID { return v.c.IrreversibleID() }

// BestAt is the best chain's block at height.
func (v *SyncView) BestAt(height uint64) (block.ID, bool) {
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

// Ancestor is id's ancestor at height.
func (v *SyncView) Ancestor(id block.ID, height uint64) (block.ID, bool) {
	return v.c.Tree().Ancestor(id, height)
}

// Header is a block's header.
func (v *SyncView) Header(id block.ID) (block.SignedHeader, bool) {
	if h, ok := v.c.Tree().Get(id); ok {
		return h, true
	}
	// The header record, never the body: peers name old blocks in every
	// hello (issue 11, attack 2).
	h, err := v.c.Header(id)
	return h, err == nil
}

// Block is a block, from memory above the irreversible block.
func (v *SyncView) Block(id block.ID) (*block.Block, bool) {
	if b, ok := v.bodies[id]; ok {
		return b, true
	}
	b, err := v.c.Block(id)
	return b, err == nil
}
