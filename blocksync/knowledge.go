package blocksync

import "github.com/blockwire/blockwire/chain/block"

// This file keeps the Conn's view of what the peer has, relative to our best
// chain, which may have switched forks since the last input.

// align restores sent's invariant after the chain moved: rewind it to its
// common ancestor with our best chain (our fork switch), then raise it to the
// highest best-chain block the peer is known to have (its head and its
// irreversible block).
func (c *Conn) align() {
	if !c.sent.IsZero() && !c.onBest(c.sent) {
		c.sent = c.commonAncestor(c.sent)
	}
	if a := c.commonAncestor(c.recv); a.Height() > c.sent.Height() {
		c.sent = a
	}
	if c.peerIrr.Height() > c.sent.Height() && c.onBest(c.peerIrr) {
		c.sent = c.peerIrr
	}
}

// onBest reports whether id is on our best chain.
func (c *Conn) onBest(id block.ID) bool {
	if id.IsZero() {
		return true
	}
	b, ok := c.chain.BestAt(id.Height())
	return ok && b == id
}

// commonAncestor returns the highest block of our best chain that is id or
// one of its ancestors, or ZeroID if id is unknown to us or does not descend
// from our irreversible block. It costs O(log n) chain lookups.
func (c *Conn) commonAncestor(id block.ID) block.ID {
	if id.IsZero() {
		return id
	}
	head := c.chain.Head().Height()
	irr := c.chain.Irreversible().Height()
	hi := min(id.Height(), head)
	if hi == id.Height() && c.onBest(id) {
		return id
	}
	if _, known := c.chain.Header(id); !known || hi < irr {
		return block.ZeroID
	}
	matches := func(h uint64) bool {
		a, ok := c.chain.Ancestor(id, h)
		return ok && c.onBest(a)
	}
	if !matches(irr) {
		return block.ZeroID
	}
	lo := irr // Invariant: matches(lo); hi is unknown until checked.
	if matches(hi) {
		lo = hi
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if matches(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	a, _ := c.chain.BestAt(lo)
	return a
}

// peerHas reports whether the peer is known to have block id.
func (c *Conn) peerHas(id block.ID) bool {
	if id.IsZero() {
		return true
	}
	if id.Height() <= c.sent.Height() && c.onBest(id) {
		return true
	}
	if c.recv.IsZero() || id.Height() > c.recv.Height() {
		return false
	}
	if id == c.recv {
		return true
	}
	a, ok := c.chain.Ancestor(c.recv, id.Height())
	return ok && a == id
}

// told notes that the peer may believe we have blocks up to height h.
func (c *Conn) told(h uint64) {
	c.maxTold = max(c.maxTold, h)
}

// learnIrreversible records the peer's irreversible block and disconnects
// when it conflicts with ours. It returns false if it disconnected.
func (c *Conn) learnIrreversible(id block.ID) bool {
	ours := c.chain.Irreversible()
	switch {
	case id.Height() <= ours.Height():
		// Ours is at or above theirs: theirs must be on our best chain,
		// unless the log no longer holds that height.
		if b, ok := c.chain.BestAt(id.Height()); ok && b != id {
			c.disconnect(fault(ReasonIrreversibleFork, "peer's irreversible %s, ours at that height %s", id, b))
			return false
		}
	default:
		// Theirs is above ours: if we know it, ours must be its ancestor.
		if _, known := c.chain.Header(id); known {
			if a, ok := c.chain.Ancestor(id, ours.Height()); ok && a != ours {
				c.disconnect(fault(ReasonIrreversibleFork, "peer's irreversible %s descends from %s, ours is %s", id, a, ours))
				return false
			}
		}
	}
	if id.Height() > c.peerIrr.Height() {
		c.peerIrr = id
	}
	return true
}
