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
	c.peerHead, c.peerHeader = id, m.Header
	c.tree.announced(c, m.Header.Producer, id)
}

// handleBlock screens a body cheaply and hands it to the node. Bodies that
// a correct peer may send in a race (already known, at or below our
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
	c.bodyArrived(id)
	// A copy of a block we have is a duplicate even when it is final for
	// us (with fast finality every copy after the first is): it prunes.
	if c.have(id) {
		c.stats.Duplicates++
		c.stats.LastDuplicate = id
		c.gotBody(id, b.Parent)
		c.tree.duplicate(c, b.Producer, id.Height())
		return
	}
	if id.Height() <= c.chain.Irreversible().Height() {
		c.stale(id)
		return
	}
	if !c.have(b.Parent) {
		if b.Parent.Height() > c.maxTold {
			c.disconnect(fault(ReasonUnknownParent, "block %s: parent %s above anything we told the peer (height %d)", id, b.Parent, c.maxTold))
			return
		}
		c.stale(id)
		return
	}
	if !c.verifyBody(b) {
		return
	}
	c.gotBody(id, b.Parent)
	c.tree.firstCopy(c, b.Producer)
	c.out.Blocks = append(c.out.Blocks, b)
	c.pending = append(c.pending, id)
	c.becomeReady()
}

// stale drops a body a correct peer may have sent in a race. The peer now
// believes we have it and may send its children, which will be stale too.
func (c *Conn) stale(id block.ID) {
	c.stats.Stale++
	c.told(id.Height())
}

// gotBody notes that the peer has id (it sent it) and believes we do.
func (c *Conn) gotBody(id, parent block.ID) {
	c.addTip(id, parent)
	c.peerHead, c.peerKnows = id, id
	c.told(id.Height())
}

// have reports whether we have id: in the chain, or received in the Ready
// not yet performed (the driver inserts a Ready's blocks before the next
// input, so a pipelined child may arrive before its parent is inserted).
func (c *Conn) have(id block.ID) bool {
	if _, ok := c.chain.Header(id); ok {
		return true
	}
	for _, p := range c.pending {
		if p == id {
			return true
		}
	}
	return false
}

// handleTied passes a tied message to the node.
func (c *Conn) handleTied(m *Tied) {
	c.stats.TiedReceived++
	c.out.Tied = append(c.out.Tied, m)
}
