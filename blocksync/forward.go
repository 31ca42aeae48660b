package blocksync

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// This file is forwarding before executing (issue 19): a relay hands a body
// to its tree children as soon as the body is known to be authentic, while
// its own node still executes it. Executing a 1 MiB block costs a relay
// tens of milliseconds (the application, the block log), and every hop of
// the tree paid it before forwarding.

// Verifier is an optional interface of Chain: the checks of a body that need
// neither executing it nor its parent's state. A Conn whose Chain implements
// it checks every new body it receives, before the body goes to Ready.Blocks,
// and the driver may then Forward it to its other peers before inserting it.
type Verifier interface {
	// VerifyBody checks the header's signature, the producer's authority
	// to sign at that height (the rule the chain applies), and the body
	// against the header's transaction root. An error means the sender
	// forged or altered the body: no correct relay forwards such a body.
	// It must not touch the block log (it runs for every new body).
	VerifyBody(b *block.Block) error
}

// Forward offers the peer a body that passed Verifier.VerifyBody on another
// Conn of the node (its Ready.Blocks) and that the node is about to add. The
// Conn sends it now, on the blocks lane, if the pump would send it right
// after the add: the peer is known to have its parent, which is our head
// and sent; the tree pushes the producer's blocks on this link; the window
// is open; and the peer does not have it. Otherwise nothing happens and the
// ordinary pump sends it once it is on our best chain.
//
// At most one body per height is forwarded early per Conn: a producer that
// signs several children of our head, only the first of which executes,
// makes each relay forward one invalid body per height, not an unbounded
// number (the rest wait for the add, which refuses them).
//
// Safety: the body is not yet on our chain, so sent does not move; the peer
// is recorded as having it (a tip anchored at its parent), and after the add
// align raises sent to it, so it is never sent twice. If the add fails the
// tip names a block we lack and sent stays at the parent; the peer received
// a block whose signer's fault it is (see the package doc, "Forwarding
// before executing").
func (c *Conn) Forward(now time.Time, b *block.Block) error {
	return c.input(now, func() { c.forward(b) })
}

func (c *Conn) forward(b *block.Block) {
	id := b.ID()
	switch {
	case c.state != StateReady,
		!c.verifies,
		b.Parent != c.chain.Head() || b.Parent != c.sent,
		b.Height <= c.forwardedHeight,
		id.Height() <= c.peerIrr.Height(),
		c.peerKnows == id || c.hasTip(id),
		!c.tree.mayPush(b.Producer, id.Height()):
		return
	}
	m := NewBlock(b)
	if !c.win.open(uint64(m.Size())) {
		return
	}
	c.forwardedHeight = b.Height
	c.sendComing(id, m.Size())
	c.send(LaneBlocks, m)
	c.peerKnows = id
	c.told(id.Height())
	c.addTip(id, b.Parent)
	if len(c.tips) > 0 && c.tips[0].id == id && c.tips[0].anchor.Height() < b.Parent.Height() {
		c.tips[0].anchor = b.Parent
	}
	c.win.sentBytes += uint64(m.Size())
	c.stats.BlocksSent++
	c.stats.BlockBytesSent += uint64(m.Size())
	c.stats.EarlyForwards++
	c.releaseFor(id)
}

// hasTip reports whether the peer reported or was sent exactly id.
func (c *Conn) hasTip(id block.ID) bool {
	for i := range c.tips {
		if c.tips[i].id == id {
			return true
		}
	}
	return false
}

// verifyBody runs the Chain's Verifier, if any, on a new body; a forged
// body penalizes the sender and closes the Conn (no correct peer sends
// one). It reports whether the body may go on.
func (c *Conn) verifyBody(b *block.Block) bool {
	v, ok := c.chain.(Verifier)
	if !ok {
		return true
	}
	if err := v.VerifyBody(b); err != nil {
		e := fault(ReasonInvalidBody, "block %s: %v", b.ID(), err)
		c.penalize(e)
		c.disconnect(e)
		return false
	}
	return true
}
