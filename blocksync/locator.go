package blocksync

import "github.com/blockwire/blockwire/chain/block"

// This file is the Start phase: exchanging locators to find, in O(log n)
// messages, the highest block of our best chain that the peer has, then one
// common hello each way to tell the peer which of its blocks we have.

// locatorHeights returns the heights of our locator, highest first: the head,
// then the head minus 1, 2, 4, 8, ... while above the irreversible block,
// then the irreversible block. For a distance d between head and
// irreversible block that is at most 2 + ⌈log2 d⌉ heights.
func locatorHeights(head, irr uint64) []uint64 {
	hs := []uint64{head}
	for step := uint64(1); head > irr && head-irr > step; step *= 2 {
		hs = append(hs, head-step)
	}
	if head > irr {
		hs = append(hs, irr)
	}
	return hs
}

// sendLocator sends our locator as one burst of hellos: no hello waits for a
// reply, so the search costs one message latency however far apart we are.
func (c *Conn) sendLocator() {
	head, irr := c.chain.Head(), c.chain.Irreversible()
	hs := locatorHeights(head.Height(), irr.Height())
	for i, h := range hs {
		id, ok := c.chain.BestAt(h)
		if !ok {
			continue
		}
		m := &Hello{ID: id, Head: i == 0, Committed: i == len(hs)-1, Window: uint32(c.cfg.Window)}
		c.send(LaneSync, m)
		c.stats.HellosSent++
	}
	c.announced, c.announcedIrr, c.peerKnows = head, irr, head
	c.told(head.Height())
}

// handleHello learns from one hello. Every hello means "the peer has this
// block": the head hello sets the peer's head; the committed hello, the last
// of the locator, its irreversible block, and we answer it with our common
// hello; the peer's common hello names the highest block of our locator it
// has. The Conn is Ready when it has both the peer's committed hello and its
// common hello (or a body). Hellos are also accepted in Ready, where they act
// like a Have without a header.
func (c *Conn) handleHello(m *Hello) {
	c.stats.HellosReceived++
	if m.Window > 0 {
		// The peer's window is a request, not a right: clamped to ours, so
		// a peer advertising 4 GiB cannot make us read and queue gigabytes
		// of blocks it never acknowledges (issue 11, attack 4).
		c.win.peerWindow = min(uint64(m.Window), uint64(c.cfg.Window))
		// A smaller window lowers our ack threshold: bodies that arrived
		// before this hello (the lanes are independent) may already be
		// due an ack the sender is waiting for.
		c.ackReceived()
	}
	if m.Committed && !c.learnIrreversible(m.ID) {
		return
	}
	if m.Head {
		c.addTip(m.ID, block.ZeroID)
		c.peerHead = m.ID
		c.tree.announced(c, block.PublicKey{}, m.ID)
	}
	if a := c.commonAncestor(m.ID); a.Height() > c.sent.Height() {
		c.sent = a
	}
	if !m.Common && m.ID.Height() > c.recognized.Height() && c.have(m.ID) {
		c.recognized = m.ID
	}
	switch {
	case m.Common:
		c.gotCommon = true
	case m.Committed:
		c.gotCommitted = true
		c.sendCommon()
	}
	if c.gotCommon && c.gotCommitted {
		c.becomeReady()
	}
}

// sendCommon answers the peer's locator with the highest of its hellos that
// we have (ZeroID if none), so that the peer does not stream us blocks we
// hold: without it a node behind would resend its whole chain to the node
// ahead, whose locator names only blocks it lacks.
func (c *Conn) sendCommon() {
	c.send(LaneSync, &Hello{ID: c.recognized, Common: true, Window: uint32(c.cfg.Window)})
	c.stats.HellosSent++
}

// becomeReady starts streaming. From Start it is reached by the end of the
// handshake or by a body (the peer found a common block first).
func (c *Conn) becomeReady() {
	if c.state != StateStart {
		return
	}
	c.state = StateReady
}
