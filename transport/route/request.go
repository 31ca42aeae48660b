package route

import "time"

// request is an originated seqno request: we are starving for a
// destination and ask its source for a newer seqno, resending with
// doubling timeouts (RFC 8966 §3.8.2.1) while we still starve.
type request struct {
	active   bool
	routerID uint64
	seqno    uint16
	next     time.Time
	timeout  time.Duration
	resends  int
}

// forwarded is a seqno request we forwarded on someone's behalf. It is
// never resent; it suppresses duplicates for a while.
type forwarded struct {
	routerID uint64
	seqno    uint16
	expires  time.Time
}

// forwardedHold is how long a forwarded request suppresses duplicates.
const forwardedHold = 2 * time.Second

// maxSeqnoJump is how far ahead of our seqno a request may ask; babeld
// ignores requests more than 100 ahead as hopelessly out of date.
const maxSeqnoJump = 100

// starve starts (or keeps) a seqno request for d: every feasible route is
// gone. The retraction was sent by advertise; the request asks the source,
// through every neighbour, for a seqno that makes some route feasible.
func (r *Router) starve(now time.Time, d *destination) {
	if d.req.active {
		return
	}
	routerID, seqno, ok := r.wantedSeqno(d)
	if !ok {
		return
	}
	d.req = request{active: true, routerID: routerID, seqno: seqno, timeout: r.cfg.RequestTimeout}
	r.sendRequest(now, d)
}

// wantedSeqno names the source to ask and the seqno that would be
// feasible: one past our feasibility distance for the source of the best
// route we hold (or the one we lost).
func (r *Router) wantedSeqno(d *destination) (uint64, uint16, bool) {
	var pick *route
	for _, id := range r.neighOrder {
		if rt := d.routes[id]; rt != nil && (pick == nil || rt.metric < pick.metric) {
			pick = rt
		}
	}
	if pick == nil {
		if !d.adv.ok {
			return 0, 0, false
		}
		return d.adv.routerID, d.adv.seqno + 1, true
	}
	s := r.sources[sourceKey{d.id, pick.routerID}]
	if s == nil {
		return pick.routerID, pick.seqno + 1, true
	}
	return pick.routerID, s.seqno + 1, true
}

func (r *Router) sendRequest(now time.Time, d *destination) {
	d.req.next = now.Add(d.req.timeout)
	for _, id := range r.neighOrder {
		if r.neigh[id].up {
			r.stats.RequestsSent++
			r.send(id, LaneControl, &SeqnoRequest{Dest: d.id, RouterID: d.req.routerID, Seqno: d.req.seqno, Hops: r.cfg.RequestHops})
		}
	}
}

// tickRequests resends originated requests that are still unanswered.
func (r *Router) tickRequests(now time.Time) {
	for _, id := range r.destOrder {
		d := r.dests[id]
		if !d.req.active || now.Before(d.req.next) {
			continue
		}
		if d.sel != nil || d.req.resends >= r.cfg.RequestResends {
			d.req.active = false
			continue
		}
		d.req.resends++
		d.req.timeout *= 2
		r.sendRequest(now, d)
	}
}

// handleSeqnoRequest follows RFC 8966 §3.8.1.2: the source bumps its
// seqno (rate-limited); a node whose route already satisfies the request
// answers with an update; otherwise the request is forwarded towards the
// source, never back to its sender, and never resent.
func (r *Router) handleSeqnoRequest(now time.Time, n *neighbour, m *SeqnoRequest) {
	r.stats.RequestsReceived++
	if m.Dest == r.self {
		r.requestedOwn(now, n, m)
		return
	}
	d := r.dests[m.Dest]
	if d == nil {
		return
	}
	if s := d.sel; s != nil && (s.routerID != m.RouterID || !newer(m.Seqno, s.seqno)) {
		r.sendRoute(now, n.id, d, true)
		return
	}
	if m.Hops < 2 || r.suppressed(now, d, m) {
		return
	}
	to, ok := r.requestTarget(d, n.id)
	if !ok {
		return
	}
	d.fwd = append(d.fwd, forwarded{routerID: m.RouterID, seqno: m.Seqno, expires: now.Add(forwardedHold)})
	r.stats.RequestsForwarded++
	r.send(to, LaneControl, &SeqnoRequest{Dest: m.Dest, RouterID: m.RouterID, Seqno: m.Seqno, Hops: m.Hops - 1})
}

// requestedOwn handles a request for our own announcement.
func (r *Router) requestedOwn(now time.Time, n *neighbour, m *SeqnoRequest) {
	if !r.cfg.Routable {
		return
	}
	ahead := m.Seqno - r.seqno
	if m.RouterID == r.routerID && newer(m.Seqno, r.seqno) && ahead <= maxSeqnoJump {
		if next := r.lastBump.Add(r.cfg.MinBumpInterval); r.lastBump.IsZero() || !now.Before(next) {
			r.bump(now)
			return
		} else if r.bumpAt.IsZero() {
			r.bumpAt = next
		}
	}
	r.sendUpdate(n.id, r.selfUpdate())
}

// suppressed reports a duplicate of a request we forwarded recently.
func (r *Router) suppressed(now time.Time, d *destination, m *SeqnoRequest) bool {
	live := d.fwd[:0]
	dup := false
	for _, f := range d.fwd {
		if now.Before(f.expires) {
			live = append(live, f)
			if f.routerID == m.RouterID && !newer(m.Seqno, f.seqno) {
				dup = true
			}
		}
	}
	d.fwd = live
	return dup
}

// requestTarget is the neighbour with the best feasible route, else the
// best route of any kind, never the requester.
func (r *Router) requestTarget(d *destination, not NodeID) (NodeID, bool) {
	if d.sel != nil && d.sel.peer != not {
		return d.sel.peer, true
	}
	var pick *route
	for _, id := range r.neighOrder {
		rt := d.routes[id]
		if rt == nil || id == not || !r.neigh[id].up || rt.metric == Infinity {
			continue
		}
		if pick == nil || rt.metric < pick.metric {
			pick = rt
		}
	}
	if pick == nil {
		return NodeID{}, false
	}
	return pick.peer, true
}

// satisfyForwarded forgets forwarded requests that rt answers; the update
// that answers them reaches the requesters through advertise.
func (r *Router) satisfyForwarded(d *destination, rt *route) {
	live := d.fwd[:0]
	for _, f := range d.fwd {
		if f.routerID != rt.routerID || newer(f.seqno, rt.seqno) {
			live = append(live, f)
		}
	}
	d.fwd = live
}
