package route

import "time"

// queued is a message waiting for a route to one of its destinations.
type queued struct {
	from    NodeID
	m       *Data
	idx     int // the destination's index in m.Dests
	expires time.Time
}

// deferredMsg is a message a validator deferred.
type deferredMsg struct {
	from    NodeID
	m       *Data
	expires time.Time
}

// enqueue holds m for its idx-th destination until a route appears.
func (r *Router) enqueue(now time.Time, from NodeID, m *Data, idx int) {
	dst := m.Dests[idx]
	d := r.dests[dst]
	if d == nil && len(r.dests) >= r.cfg.MaxDestinations {
		r.undeliverable(from, m, dst, ReasonQueueFull)
		return
	}
	d = r.dest(dst)
	size := len(m.Payload)
	if len(d.queue) >= r.cfg.QueueMessages || d.qlen+size > r.cfg.QueueBytes {
		r.undeliverable(from, m, dst, ReasonQueueFull)
		return
	}
	if len(d.queue) == 0 {
		r.queued++
	}
	d.queue = append(d.queue, &queued{from: from, m: m, idx: idx, expires: now.Add(r.cfg.queueTTL(m.Class))})
	d.qlen += size
	r.stats.Queued++
}

// undeliverable reports a message that will not reach dest: a SendError
// if we originated it, a Drop otherwise.
func (r *Router) undeliverable(from NodeID, m *Data, dest NodeID, reason Reason) {
	if m.Origin == r.self && from == r.self {
		r.stats.Drops[reason]++
		r.rd.Failed = append(r.rd.Failed, &SendError{Dest: dest, Seq: m.Seq, Class: m.Class, Reason: reason})
		return
	}
	r.drop(Drop{From: from, Origin: m.Origin, Dest: dest, Seq: m.Seq, Class: m.Class, Reason: reason})
}

// flushQueue sends d's queued messages along its new route.
func (r *Router) flushQueue(now time.Time, d *destination) {
	if len(d.queue) == 0 || d.sel == nil {
		return
	}
	q := d.queue
	d.queue, d.qlen = nil, 0
	r.queued--
	for _, e := range q {
		bits := make([]byte, len(e.m.Remaining))
		bits[e.idx/8] |= 1 << (e.idx % 8)
		r.forward(e.from, e.m, d.sel.peer, bits)
	}
}

// expireQueues fails queued messages whose time ran out. With per-class
// TTLs (Config.ClassQueueTTL) a queue is not ordered by expiry, so every
// entry is checked; the survivors keep their order.
func (r *Router) expireQueues(now time.Time) {
	if r.queued == 0 {
		return
	}
	for _, id := range r.destOrder {
		d := r.dests[id]
		if len(d.queue) == 0 {
			continue
		}
		kept := d.queue[:0]
		for _, e := range d.queue {
			if now.Before(e.expires) {
				kept = append(kept, e)
				continue
			}
			d.qlen -= len(e.m.Payload)
			r.undeliverable(e.from, e.m, id, ReasonNoRoute)
		}
		clear(d.queue[len(kept):])
		d.queue = kept
		if len(d.queue) == 0 {
			d.queue = nil
			r.queued--
		}
	}
}

// earliest is the first expiry in q (not ordered with per-class TTLs).
func earliest(q []*queued) time.Time {
	t := q[0].expires
	for _, e := range q[1:] {
		if e.expires.Before(t) {
			t = e.expires
		}
	}
	return t
}

// deferMsg holds m until Revalidate decides again or DeferTTL passes.
func (r *Router) deferMsg(now time.Time, from NodeID, m *Data) {
	if len(r.deferred) >= r.cfg.DeferMessages || r.deferBytes+len(m.Payload) > r.cfg.DeferBytes {
		r.drop(Drop{From: from, Origin: m.Origin, Seq: m.Seq, Class: m.Class, Reason: ReasonDeferExpired})
		return
	}
	r.deferred = append(r.deferred, &deferredMsg{from: from, m: m, expires: now.Add(r.cfg.DeferTTL)})
	r.deferBytes += len(m.Payload)
}

// Revalidate runs the validators again on every deferred message, in
// arrival order (call it when what they wait for arrives: a block, an
// epoch). Messages deferred again stay, with their original expiry.
func (r *Router) Revalidate(now time.Time) {
	held := r.deferred
	r.deferred, r.deferBytes = nil, 0
	for _, dm := range held {
		before := len(r.deferred)
		r.validate(now, dm.from, dm.m)
		if len(r.deferred) > before {
			r.deferred[len(r.deferred)-1].expires = dm.expires
		}
	}
}

// expireDeferred drops deferred messages past DeferTTL.
func (r *Router) expireDeferred(now time.Time) {
	i := 0
	for ; i < len(r.deferred) && !now.Before(r.deferred[i].expires); i++ {
		dm := r.deferred[i]
		r.deferBytes -= len(dm.m.Payload)
		r.drop(Drop{From: dm.from, Origin: dm.m.Origin, Seq: dm.m.Seq, Class: dm.m.Class, Reason: ReasonDeferExpired})
	}
	r.deferred = r.deferred[i:]
}
