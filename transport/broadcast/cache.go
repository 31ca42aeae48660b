package broadcast

import (
	"fmt"
	"slices"
)

// insertResult is what buffering a message did (seed 001's
// InsertMessageResult plus TooLarge).
type insertResult uint8

const (
	inserted   insertResult = iota
	duplicate               // already in this peer's deque: moved to the front
	ineligible              // the peer is not in the latest primary set
	tooLarge                // the message alone exceeds a byte budget
)

// EvictReason says why a digest left a peer's deque.
type EvictReason string

// Eviction reasons (metrics labels).
const (
	EvictDeque   EvictReason = "deque-full"  // DequeSize reached
	EvictPeer    EvictReason = "peer-bytes"  // PeerBytes reached
	EvictGlobal  EvictReason = "cache-bytes" // CacheBytes reached
	EvictPeerSet EvictReason = "peer-set"    // the peer left the primary set
)

// entry is one cached message.
//
// Invariant: refs equals the number of deques that hold the digest, and is
// at least 1 while the entry exists.
type entry struct {
	msg  *Message
	size int
	refs int
}

// deque is one peer's LRU of the digests it sent us, newest first.
//
// Invariant: len(digests) <= DequeSize, bytes is the sum of the sizes of
// its digests' messages and is <= PeerBytes after every insert.
type deque struct {
	digests []Digest
	bytes   int
}

// cache is seed 001's buffered cache: one copy of each message,
// reference-counted across per-peer LRU deques, only peers of the latest
// primary set keep entries resident; plus byte budgets per peer and in
// all. It is a pure sub-algorithm: the model test drives it alone.
//
// Invariant: bytes is the sum of the sizes of items and is <= CacheBytes
// after every operation.
type cache struct {
	dequeSize, peerBytes, cacheBytes int

	items   map[Digest]*entry
	deques  map[NodeID]*deque
	primary map[NodeID]bool
	bytes   int

	evictions map[EvictReason]uint64
}

func newCache(dequeSize, peerBytes, cacheBytes int) *cache {
	return &cache{dequeSize: dequeSize, peerBytes: peerBytes, cacheBytes: cacheBytes,
		items: map[Digest]*entry{}, deques: map[NodeID]*deque{}, primary: map[NodeID]bool{},
		evictions: map[EvictReason]uint64{}}
}

func (c *cache) get(d Digest) *Message {
	if e := c.items[d]; e != nil {
		return e.msg
	}
	return nil
}

// insert buffers m under peer (seed 001's insert_message; waiters are the
// engine's business).
func (c *cache) insert(peer NodeID, m *Message) insertResult {
	if !c.primary[peer] {
		return ineligible
	}
	size := m.Size()
	if size > c.peerBytes {
		return tooLarge
	}
	d := m.Digest()
	q := c.deques[peer]
	if q == nil {
		q = &deque{}
		c.deques[peer] = q
	}
	if i := slices.Index(q.digests, d); i >= 0 {
		copy(q.digests[1:i+1], q.digests[:i])
		q.digests[0] = d
		return duplicate
	}
	q.digests = slices.Insert(q.digests, 0, d)
	q.bytes += size
	e := c.items[d]
	if e == nil {
		e = &entry{msg: m, size: size}
		c.items[d] = e
		c.bytes += size
	}
	e.refs++
	for len(q.digests) > c.dequeSize {
		c.popOldest(peer, q, EvictDeque)
	}
	for q.bytes > c.peerBytes {
		c.popOldest(peer, q, EvictPeer)
	}
	for c.bytes > c.cacheBytes {
		p, pq := c.furthestOverShare()
		c.popOldest(p, pq, EvictGlobal)
	}
	return inserted
}

// furthestOverShare picks the peer whose deque pins the most bytes (the one
// furthest over its fair share, which is the same for every peer), ties to
// the smaller id. Only called while bytes > 0, so some deque is non-empty.
func (c *cache) furthestOverShare() (NodeID, *deque) {
	var best NodeID
	var bq *deque
	for p, q := range c.deques {
		if len(q.digests) == 0 {
			continue
		}
		if bq == nil || q.bytes > bq.bytes || q.bytes == bq.bytes && p.Less(best) {
			best, bq = p, q
		}
	}
	return best, bq
}

// popOldest removes the peer's oldest digest and releases its reference.
func (c *cache) popOldest(peer NodeID, q *deque, why EvictReason) {
	d := q.digests[len(q.digests)-1]
	q.digests = q.digests[:len(q.digests)-1]
	c.release(q, d)
	c.evictions[why]++
	if len(q.digests) == 0 {
		delete(c.deques, peer)
	}
}

// release drops one reference to d held by q, evicting the message when
// no deque holds it any more.
func (c *cache) release(q *deque, d Digest) {
	e := c.items[d]
	if e == nil || e.refs < 1 {
		panic(fmt.Sprintf("broadcast: refcount of %s below zero", d)) // broken invariant
	}
	q.bytes -= e.size
	e.refs--
	if e.refs == 0 {
		delete(c.items, d)
		c.bytes -= e.size
	}
}

// setPrimary installs the latest primary peer set; every deque of a peer
// outside it is evicted (seed 001: even peers still in an older tracked
// set). It returns how many digests were released.
func (c *cache) setPrimary(peers []NodeID) int {
	c.primary = make(map[NodeID]bool, len(peers))
	for _, p := range peers {
		c.primary[p] = true
	}
	n := 0
	for p, q := range c.deques {
		if c.primary[p] {
			continue
		}
		for _, d := range q.digests {
			c.release(q, d)
			n++
		}
		c.evictions[EvictPeerSet] += uint64(len(q.digests))
		delete(c.deques, p)
	}
	return n
}

// check verifies every invariant of the cache: refcounts equal deque
// occurrences, byte sums, and all budgets.
func (c *cache) check() error {
	refs := map[Digest]int{}
	for p, q := range c.deques {
		if len(q.digests) == 0 || len(q.digests) > c.dequeSize {
			return fmt.Errorf("deque of %s holds %d digests (max %d, empty deques are deleted)", p, len(q.digests), c.dequeSize)
		}
		if !c.primary[p] {
			return fmt.Errorf("deque of %s outside the primary set", p)
		}
		sum := 0
		inDeque := make(map[Digest]bool, len(q.digests))
		for _, d := range q.digests {
			if inDeque[d] {
				return fmt.Errorf("deque of %s holds %s twice", p, d)
			}
			inDeque[d] = true
			e := c.items[d]
			if e == nil {
				return fmt.Errorf("deque of %s names %s, which is not cached", p, d)
			}
			refs[d]++
			sum += e.size
		}
		if sum != q.bytes || q.bytes > c.peerBytes {
			return fmt.Errorf("deque of %s: %d bytes counted, %d held, budget %d", p, q.bytes, sum, c.peerBytes)
		}
	}
	total := 0
	for d, e := range c.items {
		if e.refs != refs[d] || e.refs < 1 {
			return fmt.Errorf("%s: refcount %d, held by %d deques", d, e.refs, refs[d])
		}
		total += e.size
	}
	if total != c.bytes || c.bytes > c.cacheBytes {
		return fmt.Errorf("cache: %d bytes counted, %d held, budget %d", c.bytes, total, c.cacheBytes)
	}
	return nil
}
