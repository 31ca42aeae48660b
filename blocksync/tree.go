package blocksync

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// This file is the self-repairing spanning tree per producer (Plumtree's
// eager and lazy push, seed 003's active and backup links): a duplicate body
// prunes its link to backup for that producer; a link announcing a block we
// lack, while our head stops advancing, is grafted back to active for it and
// pulled from.

// tree holds the link's modes in both directions.
type tree struct {
	// base is the outgoing mode set by Config.Mode or SetMode.
	base Mode
	// out holds the peer's prunes and grafts per producer.
	// Invariant: values are ModeBackup or ModeActive, never ModeOff.
	out map[block.PublicKey]Mode
	// pullHeight: the peer grafted, so push our best chain up to this
	// height whatever the producer's mode.
	pullHeight uint64
	// pruned holds the producers whose blocks we asked the peer not to push.
	pruned map[block.PublicKey]bool

	// The pending graft: the peer announced want, by producer, which we
	// lack; due is zero when none is pending.
	want     block.ID
	producer block.PublicKey
	due      time.Time
	// lastHead is our head when the graft timer was last reset.
	lastHead block.ID
	// heldSince is when the pending graft first fell due and was held
	// because a body was on its way (inbound.go); zero when not held.
	heldSince time.Time
}

func (t *tree) init(m Mode) {
	t.base = m
	t.out = make(map[block.PublicKey]Mode)
	t.pruned = make(map[block.PublicKey]bool)
}

func (t *tree) setMode(m Mode) {
	t.base = m
	clear(t.out)
	t.pullHeight = 0
}

func (t *tree) outMode(p block.PublicKey) Mode {
	if t.base == ModeOff {
		return ModeOff
	}
	if m, ok := t.out[p]; ok {
		return m
	}
	return t.base
}

// mayPush reports whether a body by producer at height may be pushed.
func (t *tree) mayPush(p block.PublicKey, height uint64) bool {
	switch t.outMode(p) {
	case ModeActive:
		return true
	case ModeBackup:
		return height <= t.pullHeight
	}
	return false
}

// maxProducers bounds the per-producer modes a peer may set: producer sets
// are small, and a peer naming endless keys must not grow our memory.
const maxProducers = 1024

// handlePrune demotes the link to backup for a producer.
func (c *Conn) handlePrune(m *Prune) {
	c.stats.PrunesReceived++
	c.tree.setOut(c, m.Producer, ModeBackup)
}

// handleGraft promotes the link to active for a producer and pulls.
func (c *Conn) handleGraft(m *Graft) {
	c.stats.GraftsReceived++
	if m.Producer != (block.PublicKey{}) {
		c.tree.setOut(c, m.Producer, ModeActive)
	}
	c.tree.pullHeight = max(c.tree.pullHeight, m.Want.Height())
}

func (t *tree) setOut(c *Conn, p block.PublicKey, m Mode) {
	if _, ok := t.out[p]; !ok && len(t.out) >= maxProducers {
		c.penalize(fault(ReasonProtocol, "prunes and grafts for more than %d producers", maxProducers))
		return
	}
	t.out[p] = m
}

// duplicate prunes the link for a producer whose body we already had. Bodies
// at or below our head when the connection started are locator overshoot,
// not redundancy, and do not prune.
func (t *tree) duplicate(c *Conn, p block.PublicKey, height uint64) {
	if !c.cfg.Prune || height <= c.startHeight || t.pruned[p] {
		return
	}
	t.pruned[p] = true
	c.send(LaneSync, &Prune{Producer: p})
	c.stats.PrunesSent++
}

// firstCopy re-activates a link we pruned for a producer when it delivers a
// block first: bodies in flight before our Prune arrived, or pushed by a
// pull, show the link is the faster path now. Without this, two links
// racing through a catch-up prune each other in turn (each delivers some
// late copy) and leave the producer with no active link until a graft.
func (t *tree) firstCopy(c *Conn, p block.PublicKey) {
	if !t.pruned[p] {
		return
	}
	delete(t.pruned, p)
	c.send(LaneSync, &Graft{Producer: p})
	c.stats.GraftsSent++
}

// announced arms a graft when the peer announces a block we lack (producer
// is zero when only the id is known, from a hello). The
// first announcement sets the deadline; later ones move the want. The link
// need not be pruned for the block's producer: an active link can be stuck
// behind an earlier block by a producer we pruned, and the Graft's pull
// (everything up to the wanted height) unblocks it.
//
// The height checks come before the lookup: a hello naming an old block is
// answered without touching the block log (issue 11, attack 2).
func (t *tree) announced(c *Conn, producer block.PublicKey, id block.ID) {
	if id.Height() <= c.chain.Irreversible().Height() {
		return
	}
	if !t.due.IsZero() && id.Height() < t.want.Height() {
		return // keep the higher want: its pull covers this one
	}
	if _, known := c.chain.Header(id); known {
		return
	}
	t.want, t.producer = id, producer
	if t.due.IsZero() {
		t.due = c.now.Add(c.cfg.GraftDelay)
	}
}

// chainMoved cancels a satisfied graft and restarts the timer when our head
// advanced: the active path is alive, if behind (catching up must not
// graft every backup link).
func (t *tree) chainMoved(c *Conn) {
	if t.due.IsZero() {
		t.lastHead = c.chain.Head()
		return
	}
	if _, known := c.chain.Header(t.want); known {
		t.due, t.heldSince = time.Time{}, time.Time{}
		return
	}
	if head := c.chain.Head(); head != t.lastHead {
		t.lastHead = head
		t.due, t.heldSince = c.now.Add(c.cfg.GraftDelay), time.Time{}
	}
}

// tick grafts when the deadline passed and the block is still missing,
// unless a body extending our chain is on its way (holdGraft).
func (t *tree) tick(c *Conn) {
	if t.due.IsZero() || c.now.Before(t.due) {
		return
	}
	if _, known := c.chain.Header(t.want); !known && t.holdGraft(c) {
		return
	}
	t.due, t.heldSince = time.Time{}, time.Time{}
	if _, known := c.chain.Header(t.want); known {
		return
	}
	delete(t.pruned, t.producer)
	c.send(LaneSync, &Graft{Producer: t.producer, Want: t.want})
	c.stats.GraftsSent++
}

func (t *tree) deadline() time.Time { return t.due }
