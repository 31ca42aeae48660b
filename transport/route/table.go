package route

import "time"

// route is what one neighbour advertised for a destination (RFC 8966's
// route table is keyed by (prefix, neighbour): a new router-id from the
// same neighbour replaces the old one).
type route struct {
	peer     NodeID
	routerID uint64
	seqno    uint16
	metric   Metric // as advertised, before our link cost
	sig      [sigLen]byte
	// attrs are the destination's signed attributes (nil: none); shared,
	// never modified.
	attrs   *Attrs
	expires time.Time
}

// sourceKey names a source: a destination in one run (RouterID).
type sourceKey struct {
	dest     NodeID
	routerID uint64
}

// source is a feasibility distance (RFC 8966 §3.5.1).
//
// Invariant: (seqno, metric) is at or below, in the feasibility order,
// every metric we advertised for the source since the entry was created.
type source struct {
	seqno     uint16
	metric    Metric
	refreshed time.Time
}

// verifiedAnn caches the last announcement signature we checked for a
// source, so a seqno relayed by eight neighbours costs one ed25519 check.
type verifiedAnn struct {
	seqno uint16
	sig   [sigLen]byte
}

// destination is everything we hold for one destination.
//
// Invariant: sel is nil or one of routes, and sel is feasible, finite and
// through an up link (reselect restores this after every change).
type destination struct {
	id     NodeID
	routes map[NodeID]*route
	sel    *route
	selM   Metric
	// adv is what we last advertised to all neighbours.
	adv struct {
		ok       bool
		routerID uint64
		seqno    uint16
		metric   Metric
	}
	req   request
	fwd   []forwarded
	queue []*queued
	qlen  int // bytes queued
}

func (r *Router) dest(id NodeID) *destination {
	d := r.dests[id]
	if d == nil {
		d = &destination{id: id, routes: map[NodeID]*route{}}
		r.dests[id] = d
		r.destOrder = insertSorted(r.destOrder, id)
	}
	return d
}

// feasible is Babel's feasibility condition (RFC 8966 §3.5.1): an update
// is feasible when its metric is infinite, when we hold no feasibility
// distance for its source, or when it is strictly better than that
// distance: a newer seqno, or the same seqno and a smaller metric.
func (r *Router) feasible(dest NodeID, rt *route) bool {
	if r.cfg.DisableFeasibility || rt.metric == Infinity {
		return true
	}
	s := r.sources[sourceKey{dest, rt.routerID}]
	if s == nil {
		return true
	}
	return newer(rt.seqno, s.seqno) || rt.seqno == s.seqno && rt.metric < s.metric
}

// usable reports whether rt may be selected and its installed metric.
func (r *Router) usable(d *destination, rt *route) (Metric, bool) {
	n := r.neigh[rt.peer]
	if n == nil || !n.up || rt.metric == Infinity || !r.feasible(d.id, rt) {
		return Infinity, false
	}
	m := rt.metric.add(r.cost(n))
	return m, m < Infinity
}

// reselect picks d's route: the usable route of least installed metric,
// except that the selected route is kept unless another is better by more
// than the hysteresis (so RTT noise does not flap routes). A change is
// advertised (advertise decides how urgently), queued messages are flushed
// to a new next hop, and losing every route starts a seqno request.
func (r *Router) reselect(now time.Time, d *destination) {
	var best *route
	bestM := Infinity
	for _, id := range r.neighOrder {
		rt := d.routes[id]
		if rt == nil {
			continue
		}
		if m, ok := r.usable(d, rt); ok && m < bestM {
			best, bestM = rt, m
		}
	}
	if d.sel != nil && best != d.sel {
		if curM, ok := r.usable(d, d.sel); ok && uint32(bestM)+uint32(r.hysteresis(curM)) >= uint32(curM) {
			best, bestM = d.sel, curM
		}
	}
	old := d.sel
	d.sel, d.selM = best, bestM
	if best != old {
		r.stats.Switches++
		ch := RouteChange{Dest: d.id, Reachable: best != nil, Metric: bestM}
		if best != nil {
			ch.NextHop = best.peer
		}
		r.rd.Changes = append(r.rd.Changes, ch)
	}
	r.advertise(now, d)
	if best != nil {
		d.req.active = false
		r.flushQueue(now, d)
	} else if old != nil || r.hasUnfeasible(d) {
		r.starve(now, d)
	}
}

func (r *Router) hysteresis(cur Metric) Metric {
	h := Metric(uint32(cur) * uint32(r.cfg.SwitchThreshold) / 100)
	return max(h, r.cfg.SwitchMin)
}

// hasUnfeasible reports a finite route through an up link that the
// feasibility condition refuses: a reason to ask its source for a newer
// seqno.
func (r *Router) hasUnfeasible(d *destination) bool {
	for _, rt := range d.routes {
		if n := r.neigh[rt.peer]; n != nil && n.up && rt.metric < Infinity && !r.feasible(d.id, rt) {
			return true
		}
	}
	return false
}

// NextHop returns the neighbour our selected route to dest goes through.
func (r *Router) NextHop(dest NodeID) (NodeID, bool) {
	d := r.dests[dest]
	if d == nil || d.sel == nil {
		return NodeID{}, false
	}
	return d.sel.peer, true
}

// RouteInfo describes the route to one destination (the admin API's
// /routes rows).
type RouteInfo struct {
	Dest      NodeID
	NextHop   NodeID
	Reachable bool
	Metric    Metric
	RTT       time.Duration // of the first hop
	RouterID  uint64
	Seqno     uint16
	// FDSeqno and FDMetric are the feasibility distance of the selected
	// source.
	FDSeqno  uint16
	FDMetric Metric
	Queued   int // messages waiting for a route
	// Updated is when the selected route was last updated by its
	// neighbour (zero when unreachable).
	Updated time.Time
}

// Routes lists every destination we know, sorted by id.
func (r *Router) Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(r.destOrder))
	for _, id := range r.destOrder {
		d := r.dests[id]
		ri := RouteInfo{Dest: id, Metric: Infinity, Queued: len(d.queue)}
		if d.sel != nil {
			ri.NextHop, ri.Reachable, ri.Metric = d.sel.peer, true, d.selM
			ri.RouterID, ri.Seqno = d.sel.routerID, d.sel.seqno
			ri.RTT = r.neigh[d.sel.peer].srtt
			ri.Updated = d.sel.expires.Add(-r.cfg.routeExpiry())
			if s := r.sources[sourceKey{id, d.sel.routerID}]; s != nil {
				ri.FDSeqno, ri.FDMetric = s.seqno, s.metric
			}
		}
		out = append(out, ri)
	}
	return out
}
