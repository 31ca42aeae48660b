package blocksync

import (
	"slices"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// This file keeps grafts from firing while the tree path is slow, not dead
// (issue 19). A 1 MiB body over a shaped 100 Mbit/s uplink takes ~85 ms per
// child, and a relay pushing to 4–6 children finishes the last one 350–500
// ms after it started; a backup link whose announcement arrived first would
// graft after GraftDelay and pull a second copy while the first was still
// on its way. On real processes that was most of the duplicates in steady
// state. So a sender tells the peer a body is Coming (sync lane, ahead of
// the body), the node's Conns share what is on its way (Inbound), and a
// graft that falls due while a body extending our chain is on its way is
// held, re-checked every GraftDelay/4, for at most Config.GraftHold. A path
// that dies mid-body closes its Conn, which forgets its bodies at once, so a
// dead parent is still grafted around within GraftDelay (plus one re-check).

// Inbound is what a node's Conns share about the bodies on their way to
// the node: one entry per Coming received, until its body arrives, its
// Conn closes, or its wait lapses. It is not safe for concurrent use; the
// driver serialises it with the Conns (like the Chain).
type Inbound struct {
	// entries are the bodies on their way, oldest first.
	// Invariant: at most maxComings per Conn.
	entries []inboundEntry
}

type inboundEntry struct {
	conn   *Conn
	id     block.ID
	at     time.Time // when the Coming arrived
	expiry time.Time // when its wait lapses
}

// maxComings bounds the entries one Conn keeps (a peer pipelines a few
// bodies at most; a peer naming more only replaces its own oldest).
const maxComings = 8

// NewInbound returns an empty table for one node's Conns.
func NewInbound() *Inbound { return &Inbound{} }

// InboundChain is an optional interface of Chain: a Chain that implements
// it shares one Inbound among all the Conns of a node, and a graft of one
// Conn waits while another Conn's peer is sending a body (Coming). Without
// it each Conn decides alone, as before Version 2.
type InboundChain interface {
	// Inbound returns the node's table; the same one for every Conn.
	Inbound() *Inbound
}

// coming records that c's peer is sending id.
func (in *Inbound) coming(c *Conn, id block.ID, now, expiry time.Time) {
	n := 0
	for _, e := range in.entries {
		if e.conn == c {
			if e.id == id {
				return
			}
			n++
		}
	}
	if n >= maxComings {
		i := slices.IndexFunc(in.entries, func(e inboundEntry) bool { return e.conn == c })
		in.entries = slices.Delete(in.entries, i, i+1)
	}
	in.entries = append(in.entries, inboundEntry{conn: c, id: id, at: now, expiry: expiry})
}

// arrived removes c's entries up to height (the blocks lane is FIFO: a body
// at height h from c ends every earlier Coming of c) and returns when the
// Coming of id arrived, zero if none.
func (in *Inbound) arrived(c *Conn, id block.ID) (at time.Time) {
	in.entries = slices.DeleteFunc(in.entries, func(e inboundEntry) bool {
		if e.conn != c || e.id.Height() > id.Height() {
			return false
		}
		if e.id == id {
			at = e.at
		}
		return true
	})
	return at
}

// closed forgets every body c's peer was sending: a dead path delivers
// nothing, so the grafts it held fall due again.
func (in *Inbound) closed(c *Conn) {
	in.entries = slices.DeleteFunc(in.entries, func(e inboundEntry) bool { return e.conn == c })
}

// busy reports whether a body above height is on its way: one whose Coming
// arrived, whose Conn is open, and whose wait has not lapsed. Lapsed
// entries are dropped.
func (in *Inbound) busy(now time.Time, height uint64) bool {
	in.entries = slices.DeleteFunc(in.entries, func(e inboundEntry) bool { return !now.Before(e.expiry) })
	for _, e := range in.entries {
		if e.id.Height() > height {
			return true
		}
	}
	return false
}

// handleComing records a body the peer is about to send us, unless we have
// it. Its wait is the longer of GraftDelay and twice the peer's recent
// Coming-to-body time (lag), capped at GraftHold: a peer whose bodies have
// been taking 400 ms holds grafts for 800 ms past its Coming.
func (c *Conn) handleComing(m *Coming) {
	c.stats.ComingsReceived++
	if c.inbound == nil || c.cfg.GraftHold <= 0 || m.ID.Height() <= c.chain.Head().Height() || c.have(m.ID) {
		return
	}
	wait := min(max(c.cfg.GraftDelay, 2*c.lag), c.cfg.GraftHold)
	c.inbound.coming(c, m.ID, c.now, c.now.Add(wait))
}

// bodyArrived ends the peer's Comings up to the body and learns how long
// its bodies take: lag is the peer's recent slowest Coming-to-body time,
// decaying by an eighth per body.
func (c *Conn) bodyArrived(id block.ID) {
	if c.inbound == nil {
		return
	}
	if at := c.inbound.arrived(c, id); !at.IsZero() {
		c.lag = max(c.now.Sub(at), c.lag-c.lag/8)
	}
}

// sendComing tells the peer a body follows.
func (c *Conn) sendComing(id block.ID, size int) {
	c.send(LaneSync, &Coming{ID: id, Bytes: uint32(min(size, 1<<32-1))})
	c.stats.ComingsSent++
}

// holdGraft reports whether the graft that fell due should wait: a body
// that extends our chain is on its way over some link of the node, and the
// graft has not been held for GraftHold yet. It re-arms the timer a quarter
// GraftDelay ahead (within the hold), so a path that dies is noticed soon.
func (t *tree) holdGraft(c *Conn) bool {
	if c.inbound == nil || c.cfg.GraftHold <= 0 {
		return false
	}
	if t.heldSince.IsZero() {
		t.heldSince = c.now
	}
	limit := t.heldSince.Add(c.cfg.GraftHold)
	if !c.now.Before(limit) || !c.inbound.busy(c.now, c.chain.Head().Height()) {
		return false
	}
	if t.heldSince.Equal(c.now) {
		c.stats.GraftsHeld++
	}
	t.due = minTime(c.now.Add(c.cfg.GraftDelay/4), limit)
	return true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
