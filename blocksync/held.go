package blocksync

import "github.com/blockwire/blockwire/chain/block"

// This file holds messages tied to a block until the peer has the block.

type heldMsg struct {
	block   block.ID
	payload []byte
}

// heldQueue keeps tied messages in the order given.
type heldQueue struct {
	q []heldMsg
}

func (h *heldQueue) clear() { h.q = nil }

// hold sends payload now if the peer has id, else queues it.
func (c *Conn) hold(id block.ID, payload []byte) error {
	if c.state != StateClosed && c.peerHas(id) {
		c.sendTied(LaneSync, id, payload)
		return nil
	}
	if len(c.held.q) >= c.cfg.MaxHeld {
		return ErrHeldFull
	}
	c.held.q = append(c.held.q, heldMsg{block: id, payload: payload})
	return nil
}

func (c *Conn) sendTied(lane Lane, id block.ID, payload []byte) {
	c.send(lane, &Tied{Block: id, Payload: payload})
	c.stats.TiedSent++
}

// releaseFor sends, right behind the body of id on the blocks lane, the
// messages tied to id: the peer receives them after the block.
func (c *Conn) releaseFor(id block.ID) {
	c.releaseIf(LaneBlocks, func(m heldMsg) bool { return m.block == id })
}

// releaseHeld sends the messages whose block the peer is now known to have,
// and drops those whose block fell off our chain below irreversibility.
func (c *Conn) releaseHeld() {
	if len(c.held.q) == 0 {
		return
	}
	irr := c.chain.Irreversible().Height()
	kept := c.held.q[:0]
	for _, m := range c.held.q {
		switch {
		case c.peerHas(m.block):
			c.sendTied(LaneSync, m.block, m.payload)
		case m.block.Height() <= irr && !c.onBest(m.block):
			c.stats.HeldDropped++
		default:
			kept = append(kept, m)
		}
	}
	clear(c.held.q[len(kept):])
	c.held.q = kept
}

func (c *Conn) releaseIf(lane Lane, f func(heldMsg) bool) {
	if len(c.held.q) == 0 {
		return
	}
	kept := c.held.q[:0]
	for _, m := range c.held.q {
		if f(m) {
			c.sendTied(lane, m.block, m.payload)
		} else {
			kept = append(kept, m)
		}
	}
	clear(c.held.q[len(kept):])
	c.held.q = kept
}
