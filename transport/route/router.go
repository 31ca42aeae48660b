package route

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"time"
)

// Router is the routing core of one node: distance-vector routing with
// Babel's feasibility condition over its links, and the data plane that
// forwards unicast and multicast messages along the selected routes. It is
// not safe for concurrent use; see the package doc for the driver's duties.
type Router struct {
	cfg      Config
	self     NodeID
	routerID uint64
	seqno    uint16
	selfSig  [sigLen]byte
	// lastBump is when we last incremented seqno; bumpAt, when not zero,
	// is a rate-limited increment that a request asked for.
	lastBump, bumpAt time.Time

	neigh      map[NodeID]*neighbour
	neighOrder []NodeID // sorted: iteration order is part of determinism

	dests     map[NodeID]*destination
	destOrder []NodeID // sorted
	sources   map[sourceKey]*source
	verified  map[sourceKey]verifiedAnn

	windows    map[NodeID]*window
	floods     map[floodKey]*bucket // per-origin flood buckets (flood.go)
	deferred   []*deferredMsg
	deferBytes int
	queued     int // destinations with a non-empty no-route queue
	validators [256]Validator
	replyClass [256]bool
	// paths are the reverse-path entries (reply.go), pathFIFO their
	// creation order.
	paths    map[pathKey]*revPath
	pathFIFO []pathFIFO
	pathGen  uint64
	dataSeq  uint64

	nextHello, nextRefresh time.Time
	rd                     Ready
	lastDeadline           time.Time
	stats                  Stats
}

// New returns a Router for cfg at time now.
func New(cfg Config, now time.Time) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Attrs = cfg.Attrs.clone() // ours alone: the caller may reuse its map
	r := &Router{
		cfg:      cfg,
		routerID: cfg.RouterID,
		neigh:    map[NodeID]*neighbour{},
		dests:    map[NodeID]*destination{},
		sources:  map[sourceKey]*source{},
		verified: map[sourceKey]verifiedAnn{},
		windows:  map[NodeID]*window{},
		paths:    map[pathKey]*revPath{},
	}
	for _, c := range cfg.ReplyClasses {
		r.replyClass[c] = true
	}
	copy(r.self[:], cfg.Key.Public().(ed25519.PublicKey))
	r.stats.Drops = map[Reason]uint64{}
	r.selfSig = signAnnounce(cfg.Key, r.self, r.routerID, r.seqno, r.cfg.Attrs)
	r.nextHello = now.Add(cfg.HelloInterval)
	r.nextRefresh = now.Add(cfg.UpdateInterval)
	return r, nil
}

// ID is our NodeID (the public key of Config.Key).
func (r *Router) ID() NodeID { return r.self }

// Seqno is our current announcement seqno.
func (r *Router) Seqno() uint16 { return r.seqno }

// Stats returns a copy of the counters.
func (r *Router) Stats() Stats {
	s := r.stats
	s.Drops = make(map[Reason]uint64, len(r.stats.Drops))
	for k, v := range r.stats.Drops {
		s.Drops[k] = v
	}
	return s
}

// SetValidator registers v for class c (nil removes it). Messages of a
// class without a validator are accepted.
func (r *Router) SetValidator(c Class, v Validator) { r.validators[c] = v }

// Receive decodes a frame from neighbour from and steps it. A frame that
// fails to decode is returned as an *Error and also reported as a penalty.
func (r *Router) Receive(now time.Time, from NodeID, frame []byte) error {
	m, err := Decode(frame, r.cfg.Limits)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Reason: ReasonMalformed, Detail: err.Error()}
		}
		r.penalize(from, e)
		return e
	}
	return r.Step(now, from, m)
}

// Step handles a decoded message from neighbour from. Messages from a peer
// without a link (AddLink) are refused with ReasonUnknownLink.
func (r *Router) Step(now time.Time, from NodeID, m Msg) error {
	n := r.neigh[from]
	if n == nil {
		return fault(ReasonUnknownLink, "message from %s", from)
	}
	switch m := m.(type) {
	case *Hello:
		r.handleHello(now, n, m)
	case *Update:
		r.handleUpdate(now, n, m)
	case *SeqnoRequest:
		r.handleSeqnoRequest(now, n, m)
	case *RouteRequest:
		r.handleRouteRequest(now, n, m)
	case *Data:
		r.handleData(now, from, m)
	case *Reply:
		r.handleReply(now, from, m)
	}
	return nil
}

// Tick advances timers: hellos, link liveness, request resends, rate-
// limited seqno bumps, refreshes, route and source expiry, queue and defer
// expiry. Call it at or after the last Ready's Deadline.
func (r *Router) Tick(now time.Time) {
	r.tickNeighbours(now)
	if !now.Before(r.nextHello) {
		r.sendHellos(now)
		r.nextHello = now.Add(r.cfg.HelloInterval)
	}
	if !r.bumpAt.IsZero() && !now.Before(r.bumpAt) {
		r.bump(now)
	}
	r.tickRequests(now)
	if !now.Before(r.nextRefresh) {
		r.refresh(now)
		r.nextRefresh = now.Add(r.cfg.UpdateInterval)
	}
	r.expireQueues(now)
	r.expireDeferred(now)
	r.expirePaths(now)
}

// HasReady reports whether Ready has outputs or a new deadline.
func (r *Router) HasReady() bool {
	rd := &r.rd
	return len(rd.Messages)+len(rd.Delivered)+len(rd.Replies)+len(rd.Failed)+len(rd.Dropped)+len(rd.Penalties)+len(rd.Changes) > 0 ||
		!r.deadline().Equal(r.lastDeadline)
}

// Ready returns the pending outputs. The slices belong to the caller once
// Advance is called.
func (r *Router) Ready() Ready {
	rd := r.rd
	rd.Deadline = r.deadline()
	return rd
}

// Advance acknowledges the last Ready.
func (r *Router) Advance() {
	r.lastDeadline = r.deadline()
	r.rd = Ready{}
}

// deadline is the earliest timer.
func (r *Router) deadline() time.Time {
	d := r.nextHello
	early := func(t time.Time) {
		if !t.IsZero() && t.Before(d) {
			d = t
		}
	}
	early(r.nextRefresh)
	early(r.bumpAt)
	for _, id := range r.neighOrder {
		early(r.neigh[id].expiry(&r.cfg))
	}
	for _, id := range r.destOrder {
		dst := r.dests[id]
		if dst.req.active {
			early(dst.req.next)
		}
		if len(dst.queue) > 0 {
			early(earliest(dst.queue))
		}
	}
	if len(r.deferred) > 0 {
		early(r.deferred[0].expires)
	}
	return d
}

// send queues a message to a neighbour.
func (r *Router) send(to NodeID, lane Lane, m Msg) {
	switch m.(type) {
	case *Data, *Reply:
	default:
		r.stats.ControlBytes += uint64(m.Size())
	}
	r.rd.Messages = append(r.rd.Messages, Message{To: to, Lane: lane, Msg: m})
}

func (r *Router) penalize(peer NodeID, e *Error) {
	r.stats.Drops[e.Reason]++
	r.rd.Penalties = append(r.rd.Penalties, Penalty{Peer: peer, Err: e})
}

func (r *Router) drop(d Drop) {
	r.stats.Drops[d.Reason]++
	r.rd.Dropped = append(r.rd.Dropped, d)
}

func insertSorted(s []NodeID, id NodeID) []NodeID {
	i, found := slices.BinarySearchFunc(s, id, cmpID)
	if found {
		return s
	}
	return slices.Insert(s, i, id)
}

func removeSorted(s []NodeID, id NodeID) []NodeID {
	if i, found := slices.BinarySearchFunc(s, id, cmpID); found {
		return slices.Delete(s, i, i+1)
	}
	return s
}

func cmpID(a, b NodeID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}
