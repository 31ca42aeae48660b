package blocksync

import "github.com/blockwire/blockwire/chain/block"

// This file is the Start phase: exchanging locators to find, in O(log n)
// messages, the highest block of our best chain that the peer has.

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

// handleHello learns from one locator entry. Every hello means "the peer has
// this block"; the head hello sets the peer's head and the committed hello,
// the last one, its irreversible block and the end of the locator. Hellos
// are also accepted in Ready (the peer may be re-announcing), where they act
// like a Have without a header.
func (c *Conn) handleHello(m *Hello) {
	c.stats.HellosReceived++
	if m.Window > 0 {
		c.win.peerWindow = uint64(m.Window)
	}
	if m.Committed && !c.learnIrreversible(m.ID) {
		return
	}
	c.told(m.ID.Height())
	if m.Head {
		c.addTip(m.ID, block.ZeroID)
		c.peerHead = m.ID
		c.tree.announced(c, block.PublicKey{}, m.ID)
	}
	if a := c.commonAncestor(m.ID); a.Height() > c.sent.Height() {
		c.sent = a
	}
	if m.Committed {
		c.becomeReady()
	}
}

// becomeReady starts streaming. From Start it is reached by the peer's
// complete locator or by a body (the peer found a common block first).
func (c *Conn) becomeReady() {
	if c.state != StateStart {
		return
	}
	c.state = StateReady
}
