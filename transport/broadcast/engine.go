package broadcast

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"time"

	"github.com/blockwire/blockwire/internal/invariants"
)

// Engine is the broadcast state machine of one node. It is not safe for
// concurrent use: one driver goroutine calls it. Every input takes the
// current time; outputs collect until Ready.
type Engine struct {
	cfg     Config
	id      NodeID
	lastSeq uint64

	links    map[NodeID]bool
	linkList []NodeID // sorted: the forwarding order

	cache    *cache
	seen     *seen
	trees    *trees
	fetch    *fetcher
	serve    *server
	waiters  *waiters
	deferred deferQueue

	rd           Ready
	ihave        map[NodeID][]Announce
	lastDeadline time.Time
	nextHouse    time.Time
	stats        Stats
}

// New returns an Engine for cfg at time now, or cfg's first invalid field.
// Until SetPrimary names a primary set nothing is cached (seed 001: no
// peer is eligible before the first peer set), though messages are still
// validated, delivered and relayed.
func New(cfg Config, now time.Time) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:       cfg,
		links:     map[NodeID]bool{},
		cache:     newCache(cfg.DequeSize, cfg.PeerBytes, cfg.CacheBytes),
		seen:      newSeen(cfg.SeenTTL, cfg.MaxSeen),
		trees:     newTrees(cfg.MaxOrigins),
		fetch:     newFetcher(),
		serve:     newServer(cfg),
		waiters:   newWaiters(),
		ihave:     map[NodeID][]Announce{},
		nextHouse: now.Add(cfg.Housekeeping),
		stats:     Stats{Evictions: map[EvictReason]uint64{}, Drops: map[Reason]uint64{}},
	}
	copy(e.id[:], cfg.Key.Public().(ed25519.PublicKey))
	e.cache.evictions = e.stats.Evictions
	return e, nil
}

// ID is our node id.
func (e *Engine) ID() NodeID { return e.id }

// AddLink starts forwarding to a direct peer (a new connection).
func (e *Engine) AddLink(now time.Time, peer NodeID) {
	if e.links[peer] || peer == e.id {
		return
	}
	e.links[peer] = true
	i, _ := slices.BinarySearchFunc(e.linkList, peer, cmpID)
	e.linkList = slices.Insert(e.linkList, i, peer)
	e.trees.dropPeer(peer) // a new link starts eager in every tree
}

// RemoveLink stops using a closed connection; pulls waiting on it move to
// other announcers at once.
func (e *Engine) RemoveLink(now time.Time, peer NodeID) {
	if !e.links[peer] {
		return
	}
	delete(e.links, peer)
	i, _ := slices.BinarySearchFunc(e.linkList, peer, cmpID)
	e.linkList = slices.Delete(e.linkList, i, i+1)
	e.trees.dropPeer(peer)
	e.fetch.dropPeer(now, peer)
	e.serve.dropPeer(peer)
	delete(e.ihave, peer)
	e.checkInvariants()
}

func cmpID(a, b NodeID) int { return slices.Compare(a[:], b[:]) }

// SetPrimary installs the latest primary peer set (seed 001's
// latest.primary): only these peers, ourselves included if listed, keep
// cache entries resident; deques of every other peer are evicted now.
func (e *Engine) SetPrimary(now time.Time, peers []NodeID) {
	e.cache.setPrimary(peers)
	e.checkInvariants()
}

// nextSeq is max(last+1, now_ms<<16): it grows across restarts (given a
// clock that does) and carries its send time, so receivers refuse a
// message older than MaxAge without remembering it.
func (e *Engine) nextSeq(now time.Time) uint64 {
	s := max(e.lastSeq+1, uint64(now.UnixMilli())<<16)
	e.lastSeq = s
	return s
}

// Broadcast signs payload as a message of topic, caches it under our own
// id (waking waiters for it), and sends it to rcpt: the whole network
// (eager push along our tree, announcements elsewhere), some direct peers,
// or routed destinations (Ready.Routed). It returns the digest and the
// direct peers a body or announcement was queued for (acceptance, not
// delivery, as in seed 001). Our own messages are not validated or
// delivered to our own subscribers.
func (e *Engine) Broadcast(now time.Time, topic Topic, payload []byte, rcpt Recipients) (Digest, []NodeID, error) {
	tc, ok := e.cfg.Topics[topic]
	if !ok {
		return Digest{}, nil, ErrUnknownTopic
	}
	if len(payload) > tc.MaxSize {
		return Digest{}, nil, ErrTooLarge
	}
	if rcpt.Scope != ScopeNetwork && len(rcpt.Nodes) == 0 {
		return Digest{}, nil, ErrNoRecipients
	}
	m := &Message{Topic: topic, Origin: e.id, Seq: e.nextSeq(now), Payload: payload}
	m.Sign(e.cfg.Key)
	d := m.Digest()
	e.seen.add(now, d, stAccepted)
	e.store(e.id, m)
	e.answer(d, m)
	e.fetch.done(d)
	var sent []NodeID
	switch rcpt.Scope {
	case ScopeNetwork:
		sent = e.forward(now, e.id, m)
	case ScopeDirect:
		for _, p := range rcpt.Nodes {
			if e.links[p] && p != e.id {
				e.push(p, &Push{Scope: ScopeDirect, Msg: m})
				sent = append(sent, p)
			}
		}
	case ScopeRouted:
		e.rd.Routed = append(e.rd.Routed, RoutedSend{Dests: slices.Clone(rcpt.Nodes), Frame: &Push{Scope: ScopeRouted, Msg: m}})
	}
	e.checkInvariants()
	return d, sent, nil
}

// Subscribe waits for the message named d: answered in the next Ready if
// it is cached, otherwise when it arrives. If a peer announced d, we pull
// it at once instead of waiting for the graft timeout. The driver calls
// Cancel when the requester goes away.
func (e *Engine) Subscribe(now time.Time, d Digest) (WaiterID, error) {
	if m := e.cache.get(d); m != nil {
		id := e.waiters.newID()
		e.rd.Answers = append(e.rd.Answers, Answer{Waiter: id, Msg: m})
		e.stats.SubscribeHit++
		return id, nil
	}
	if len(e.waiters.byID) >= e.cfg.MaxWaiters || len(e.waiters.byDigest[d]) >= e.cfg.MaxWaitersPerDigest {
		return 0, ErrTooManyWaiters
	}
	id := e.waiters.newID()
	e.waiters.add(id, d, now.Add(e.cfg.WaiterTTL))
	if f := e.fetch.entries[d]; f != nil && !f.asking {
		e.advanceFetch(now, d, f)
	}
	return id, nil
}

// Cancel drops a waiter whose requester went away (seed 001 cleans them up
// at every loop; here the driver says when).
func (e *Engine) Cancel(id WaiterID) {
	if e.waiters.remove(id) {
		e.stats.SubscribeGone++
	}
}

// Get returns the cached message named d.
func (e *Engine) Get(d Digest) (*Message, bool) {
	m := e.cache.get(d)
	if m == nil {
		e.stats.GetMiss++
		return nil, false
	}
	e.stats.GetHit++
	return m, true
}

// Tick performs what is due at now: pulls whose graft or pull timeout
// passed, and every Housekeeping the expiry of waiters, deferred messages,
// seen digests and serve records.
func (e *Engine) Tick(now time.Time) {
	for _, d := range e.fetch.due(now) {
		if f := e.fetch.entries[d]; f != nil {
			e.advanceFetch(now, d, f)
		}
	}
	if !now.Before(e.nextHouse) {
		e.nextHouse = now.Add(e.cfg.Housekeeping)
		e.housekeeping(now)
	}
	e.checkInvariants()
}

func (e *Engine) housekeeping(now time.Time) {
	expired := e.waiters.expire(now)
	e.rd.Expired = append(e.rd.Expired, expired...)
	e.stats.SubscribeGone += uint64(len(expired))
	e.seen.expire(now)
	e.serve.expire(now)
	e.fetch.expireRequests(now)
	kept := e.deferred.items[:0]
	for _, it := range e.deferred.items {
		if now.Sub(it.at) >= e.cfg.DeferTTL {
			e.deferred.bytes -= it.msg.Size()
			e.seen.add(now, it.msg.Digest(), stIgnored)
			e.drop(ReasonDeferExpired)
			continue
		}
		kept = append(kept, it)
	}
	clear(e.deferred.items[len(kept):])
	e.deferred.items = kept
}

// HasReady reports whether Ready has something to do or a new deadline.
func (e *Engine) HasReady() bool {
	return !e.rd.empty() || len(e.ihave) > 0 || !e.deadline().Equal(e.lastDeadline)
}

// Ready returns the outputs collected since the last Advance, with pending
// announcements batched into one IHave per peer.
func (e *Engine) Ready() Ready {
	e.flushIHave()
	rd := e.rd
	rd.Deadline = e.deadline()
	e.lastDeadline = rd.Deadline
	return rd
}

// Advance acknowledges the last Ready.
func (e *Engine) Advance() { e.rd = Ready{} }

func (e *Engine) deadline() time.Time {
	t := e.nextHouse
	if f := e.fetch.nextDeadline(); !f.IsZero() && f.Before(t) {
		t = f
	}
	return t
}

func (e *Engine) flushIHave() {
	if len(e.ihave) == 0 {
		return
	}
	peers := make([]NodeID, 0, len(e.ihave))
	for p := range e.ihave {
		peers = append(peers, p)
	}
	slices.SortFunc(peers, cmpID)
	for _, p := range peers {
		items := e.ihave[p]
		for len(items) > 0 {
			n := min(len(items), e.cfg.Limits.MaxAnnounce)
			e.rd.Messages = append(e.rd.Messages, Outgoing{To: p, Lane: LaneControl, Frame: &IHave{Items: items[:n:n]}})
			items = items[n:]
		}
	}
	clear(e.ihave)
}

// Stats returns the counters (maps are copies).
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Evictions = make(map[EvictReason]uint64, len(e.stats.Evictions))
	for k, v := range e.stats.Evictions {
		s.Evictions[k] = v
	}
	s.Drops = make(map[Reason]uint64, len(e.stats.Drops))
	for k, v := range e.stats.Drops {
		s.Drops[k] = v
	}
	return s
}

// Inspect returns the cache's state for operators.
func (e *Engine) Inspect() Snapshot {
	s := Snapshot{CacheBytes: e.cache.bytes, Entries: len(e.cache.items), Waiters: len(e.waiters.byID),
		Deferred: len(e.deferred.items), Seen: len(e.seen.entries), Fetches: len(e.fetch.entries)}
	for p, q := range e.cache.deques {
		s.Deques = append(s.Deques, DequeInfo{Peer: p, Digests: len(q.digests), Bytes: q.bytes})
	}
	slices.SortFunc(s.Deques, func(a, b DequeInfo) int { return cmpID(a.Peer, b.Peer) })
	return s
}

// checkInvariants panics on a broken invariant; on only with -tags
// invariants (every test run), since it walks the whole cache.
func (e *Engine) checkInvariants() {
	if !invariants.Enabled {
		return
	}
	if err := e.check(); err != nil {
		panic("broadcast: " + err.Error())
	}
}

// check verifies the engine's invariants: the cache's, the fetcher's
// counts and the defer queue's bounds.
func (e *Engine) check() error {
	if err := e.cache.check(); err != nil {
		return err
	}
	inflight, announced := map[NodeID]int{}, map[NodeID]int{}
	for d, f := range e.fetch.entries {
		if f.asking {
			inflight[f.asked]++
		}
		for _, p := range f.announcers {
			announced[p]++
		}
		if len(f.announcers) > maxAnnouncers || f.next > len(f.announcers) {
			return fmt.Errorf("fetch %s: %d announcers, next %d", d, len(f.announcers), f.next)
		}
	}
	if len(e.fetch.entries) > e.cfg.MaxFetches {
		return fmt.Errorf("%d fetches above MaxFetches %d", len(e.fetch.entries), e.cfg.MaxFetches)
	}
	for p, n := range e.fetch.inflight {
		if inflight[p] != n || n > e.cfg.MaxInflightPerPeer {
			return fmt.Errorf("inflight at %s: counted %d, held %d", p, n, inflight[p])
		}
	}
	for p, n := range e.fetch.announced {
		if announced[p] != n || n > e.cfg.MaxAnnouncedPerPeer {
			return fmt.Errorf("announced by %s: counted %d, held %d", p, n, announced[p])
		}
	}
	sum := 0
	for _, it := range e.deferred.items {
		sum += it.msg.Size()
	}
	if sum != e.deferred.bytes || len(e.deferred.items) > e.cfg.MaxDeferred || sum > e.cfg.DeferBytes {
		return fmt.Errorf("defer queue: %d items, %d bytes (counted %d)", len(e.deferred.items), sum, e.deferred.bytes)
	}
	if len(e.trees.m) > e.cfg.MaxOrigins || len(e.serve.records) > e.serve.maxRecords {
		return fmt.Errorf("%d origin trees, %d serve records above their bounds", len(e.trees.m), len(e.serve.records))
	}
	if len(e.waiters.byID) > e.cfg.MaxWaiters || len(e.seen.entries) > e.cfg.MaxSeen {
		return fmt.Errorf("%d waiters, %d seen digests above their bounds", len(e.waiters.byID), len(e.seen.entries))
	}
	return nil
}

// CacheBytes is the bytes the cache holds now (cheaper than Inspect).
func (e *Engine) CacheBytes() int { return e.cache.bytes }
