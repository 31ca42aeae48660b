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
		// The peer still has the old sent: keep it as a tip, so that
		// switching back to its fork does not resend (echo) its blocks.
		old := c.sent
		c.sent = c.commonAncestor(old)
		if old.Height() > c.chain.Irreversible().Height() {
			c.addTip(old, block.ZeroID)
		}
	}
	for i := range c.tips {
		if a := c.tipAncestor(&c.tips[i]); a.Height() > c.sent.Height() {
			c.sent = a
		}
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
	for _, t := range c.tips {
		if c.descends(c.known(&t), id) {
			return true
		}
	}
	return false
}

// descends reports whether x is anc or one of its descendants, as far as our
// chain knows.
func (c *Conn) descends(x, anc block.ID) bool {
	if x == anc {
		return true
	}
	if x.Height() <= anc.Height() {
		return false
	}
	a, ok := c.chain.Ancestor(x, anc.Height())
	return ok && a == anc
}

// maxTips bounds the peer heads a Conn remembers.
const maxTips = 8

// tip is a head the peer reported. When the peer announces blocks faster than
// we learn them (a chain of Haves for blocks we lack), id is unknown to us
// and anchor keeps the highest block we knew it descends from: replacing a
// known tip by its unknown child must not forget what the peer has.
type tip struct {
	id, anchor block.ID
	// ca memoizes commonAncestor(caOf) for our head caHead: align runs on
	// every input and the search costs O(log n) chain lookups.
	caOf, caHead, ca block.ID
}

// tipAncestor returns the highest block of our best chain that the peer has
// by virtue of tip t. The memo survives our head extending the same chain,
// unless t's block is above the old head (then the new head may include it).
func (c *Conn) tipAncestor(t *tip) block.ID {
	k, head := c.known(t), c.chain.Head()
	if t.caHead != head && !t.caHead.IsZero() && c.onBest(t.caHead) && !c.descends(k, t.caHead) && !c.descends(t.caOf, t.caHead) {
		t.caHead = head // our chain only grew, below k: the memo holds
	}
	switch {
	case t.caHead != head:
	case t.caOf == k:
		return t.ca
	case c.parentOf(k) == t.caOf && !c.onBest(k):
		// The peer streams a side fork: its ancestor on our chain is
		// the parent's, found without a search.
		t.caOf = k
		return t.ca
	}
	t.caOf, t.caHead, t.ca = k, head, c.commonAncestor(k)
	return t.ca
}

func (c *Conn) parentOf(id block.ID) block.ID {
	h, ok := c.chain.Header(id)
	if !ok {
		return block.ZeroID
	}
	return h.Parent
}

// known returns the highest block of t that we know: id, or its anchor.
func (c *Conn) known(t *tip) block.ID {
	if _, ok := c.chain.Header(t.id); ok {
		return t.id
	}
	return t.anchor
}

// addTip records that the peer has id, whose parent is parent (ZeroID if
// not known), dropping the tips it supersedes and keeping the highest
// known anchor among them.
func (c *Conn) addTip(id, parent block.ID) {
	if id.Height() <= c.chain.Irreversible().Height() {
		// Final for us, or conflicting with what is: no tip needed.
		if id.Height() > c.sent.Height() && c.onBest(id) {
			c.sent = id
		}
		return
	}
	n := tip{id: id}
	raise := func(a block.ID) {
		if a.Height() > n.anchor.Height() {
			n.anchor = a
		}
	}
	kept := c.tips[:0]
	for _, t := range c.tips {
		switch {
		case t.id == id:
			raise(t.anchor)
		case t.id == parent:
			raise(c.known(&t))
			n.caOf, n.caHead, n.ca = t.caOf, t.caHead, t.ca
		case !c.descends(id, t.id) && c.useful(&t):
			kept = append(kept, t)
		}
	}
	if len(kept) == maxTips {
		kept = c.evictTip(kept)
	}
	c.tips = append([]tip{n}, kept...)
}

// useful reports whether a tip is above our irreversible block: one at or
// below it is final for us (align folded it into sent) or conflicts with
// what is final, and tells us nothing we could use.
func (c *Conn) useful(t *tip) bool {
	return t.id.Height() > c.chain.Irreversible().Height()
}

// evictTip drops one tip: preferably one that sent covers now (its known
// block is on our best chain at or below sent; a later fork switch of ours
// may lose that, but the peer keeps announcing), else the oldest.
func (c *Conn) evictTip(tips []tip) []tip {
	for i := range tips {
		if k := c.known(&tips[i]); !k.IsZero() && k.Height() <= c.sent.Height() && c.onBest(k) {
			return append(tips[:i], tips[i+1:]...)
		}
	}
	return tips[:len(tips)-1]
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
		// A final block we lack: pull it if the link stays quiet (seed
		// 003's synchronous liveness does not wait for a head report).
		c.tree.announced(c, block.PublicKey{}, id)
	}
	return true
}
