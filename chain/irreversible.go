package chain

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
)

// SetIrreversible makes id, a block of the fork database, the last
// irreversible block. In one synced pebble batch it writes the height index
// for every newly irreversible block, their application state, the new
// irreversible pointer, and deletes the blocks of the forks this prunes.
// Then it prunes the fork database. When it returns nil, the new
// irreversible block and everything below it survive any crash.
//
// Consensus decides irreversibility; the chain trusts the caller. Setting
// the current irreversible block again is a no-op. If the batch fails, the
// Chain is left unusable (ErrBroken) and must be reopened from disk.
func (c *Chain) SetIrreversible(id block.ID) (Result, error) {
	if c.broken != nil {
		return Result{}, c.broken
	}
	prev := c.tree.HeadID()
	if id == c.tree.RootID() {
		return Result{PrevHead: prev, Head: prev}, nil
	}
	if !c.tree.Has(id) {
		return Result{}, fmt.Errorf("%w: %s is not in the fork database", ErrNotFound, id)
	}
	oldRoot, path := c.tree.RootID(), c.pathFromRoot(id)
	// If the head is on a losing fork it is about to be pruned: take the
	// part of the diff that needs the losing fork now.
	var removed, added []block.ID
	if a, _ := c.tree.Ancestor(prev, id.Height()); a != id {
		removed, added, _ = c.tree.Diff(prev, id)
	}
	pruned, err := c.tree.SetIrreversible(id)
	if err != nil {
		return Result{}, err
	}
	if err := c.commit(path, pruned, Pointer{ID: id, StateRoot: c.execs[id].root}); err != nil {
		c.broken = fmt.Errorf("%w: %w", ErrBroken, err)
		return Result{}, c.broken
	}
	c.forget(oldRoot, path, pruned)
	r, err := c.headResult(prev)
	if removed != nil || added != nil {
		_, tail, _ := c.tree.Diff(id, r.Head)
		r.Removed, r.Added = removed, append(added, tail...)
	}
	r.Pruned = pruned
	return r, err
}

// commit writes the irreversibility batch: state of path (oldest first),
// height index, pointer, and deletion of pruned blocks, with one fsync.
func (c *Chain) commit(path, pruned []block.ID, p Pointer) error {
	batch := c.db.NewBatch()
	defer func() { _ = batch.Close() }()
	for _, id := range path {
		if err := putOverlay(batch, c.execs[id].ov); err != nil {
			return err
		}
	}
	if err := putIrreversible(batch, path, p); err != nil {
		return err
	}
	for _, id := range pruned {
		if err := deleteBlock(batch, id); err != nil {
			return err
		}
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("chain: committing irreversible %s: %w", p.ID, err)
	}
	return nil
}

// forget drops execution results the tree no longer holds. The overlays of
// path are now in pebble: marking them durable stops reads there, and
// dropping their writes and parent links frees them.
func (c *Chain) forget(oldRoot block.ID, path, pruned []block.ID) {
	delete(c.execs, oldRoot)
	for i, id := range path {
		c.execs[id].ov.markDurable()
		if i < len(path)-1 {
			delete(c.execs, id)
		}
	}
	for _, id := range pruned {
		delete(c.execs, id)
	}
}

// Pin restricts fork choice to id and its descendants (a BFT lock) until
// Unpin or until irreversibility reaches or passes id.
func (c *Chain) Pin(id block.ID) (Result, error) {
	prev := c.tree.HeadID()
	if err := c.tree.Pin(id); err != nil {
		return Result{}, fmt.Errorf("chain: pin: %w", err)
	}
	return c.headResult(prev)
}

// Unpin lifts a pin.
func (c *Chain) Unpin() (Result, error) {
	prev := c.tree.HeadID()
	c.tree.Unpin()
	return c.headResult(prev)
}

// MarkInvalid removes a block of the fork database and its descendants,
// blacklists them and deletes them from the log (unsynced: a crash may bring
// them back from disk, and they are re-executed at open). Consensus uses it
// when it learns a block is invalid by other means than execution.
func (c *Chain) MarkInvalid(id block.ID) (Result, error) {
	if c.broken != nil {
		return Result{}, c.broken
	}
	prev := c.tree.HeadID()
	removed, err := c.tree.MarkInvalid(id)
	if err != nil {
		return Result{}, fmt.Errorf("chain: mark invalid: %w", err)
	}
	batch := c.db.NewBatch()
	defer func() { _ = batch.Close() }()
	for _, r := range removed {
		delete(c.execs, r)
		if err := deleteBlock(batch, r); err != nil {
			return Result{}, err
		}
	}
	if err := batch.Commit(pebble.NoSync); err != nil {
		return Result{}, fmt.Errorf("chain: deleting invalid blocks: %w", err)
	}
	r, err := c.headResult(prev)
	r.Pruned = removed
	return r, err
}
