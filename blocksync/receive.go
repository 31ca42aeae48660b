package blocksync

import "github.com/blockwire/blockwire/chain/block"

// This file is the receiving half: the peer's announcements, bodies and tied
// messages.

// handleHave learns the peer's new head and irreversible block, and may arm a
// graft when the peer announces, over a link we pruned, a block we lack.
func (c *Conn) handleHave(m *Have) {
	c.stats.HavesReceived++
	if m.Header.Height != m.Header.Parent.Height()+1 {
		c.disconnect(fault(ReasonBadHeight, "have of height %d with parent %s", m.Header.Height, m.Header.Parent))
		return
	}
	if !c.learnIrreversible(m.Irreversible) {
		return
	}
	id := m.Header.ID()
	c.addTip(id, m.Header.Parent)
	c.tree.announced(c, &m.Header, id)
}

// handleBody screens a body cheaply and hands it to the node. Bodies that a
// correct peer may send in a race (already known, at or below our
// irreversible block, child of a block we pruned) are dropped without
// penalty; only a parent the peer cannot believe we have is a fault.
func (c *Conn) handleBlock(m *Block) {
	b := m.Block
	size := uint64(m.Size())
	c.stats.BlocksReceived++
	c.stats.BlockBytesReceived += size
	c.win.recvBytes += size
	c.ackReceived()
	if b.Height != b.Parent.Height()+1 {
		c.disconnect(fault(ReasonBadHeight, "block of height %d with parent %s", b.Height, b.Parent))
		return
	}
	id := b.ID()
	if id.Height() <= c.chain.Irreversible().Height() {
		c.stats.Stale++
		return
	}
	if _, known := c.chain.Header(id); known || id == c.lastBody {
		c.stats.Duplicates++
		c.gotBody(id, b.Parent)
		c.tree.duplicate(c, b.Producer, id.Height())
		return
	}
	if _, known := c.chain.Header(b.Parent); !known && b.Parent != c.lastBody {
		if b.Parent.Height() > c.maxTold {
			c.disconnect(fault(ReasonUnknownParent, "block %s: parent %s above anything we told the peer (height %d)", id, b.Parent, c.maxTold))
			return
		}
		c.stats.Stale++
		return
	}
	c.gotBody(id, b.Parent)
	c.out.Blocks = append(c.out.Blocks, b)
	c.becomeReady()
}

// gotBody notes that the peer has id (it sent it) and believes we do.
func (c *Conn) gotBody(id, parent block.ID) {
	c.addTip(id, parent)
	c.lastBody = id
	c.told(id.Height())
}

// handleTied passes a tied message to the node.
func (c *Conn) handleTied(m *Tied) {
	c.stats.TiedReceived++
	c.out.Tied = append(c.out.Tied, m)
}
