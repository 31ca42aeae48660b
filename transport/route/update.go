package route

import "time"

// handleUpdate stores a neighbour's route after the cheap checks and the
// signature check, then reselects.
func (r *Router) handleUpdate(now time.Time, n *neighbour, u *Update) {
	r.stats.UpdatesReceived++
	if u.Dest == r.self {
		return // our own announcement (perhaps of a previous run) coming back
	}
	if u.Metric == Infinity {
		r.retracted(now, n, u)
		return
	}
	if u.Metric == 0 && u.Dest != n.id {
		r.penalize(n.id, fault(ReasonImpossibleMetric, "metric 0 for %s from %s", u.Dest, n.id))
		return
	}
	d := r.dests[u.Dest]
	old := (*route)(nil)
	if d != nil {
		old = d.routes[n.id]
	}
	if !r.admit(u.Dest, attrsOf(u, old)) {
		r.penalize(n.id, fault(ReasonNotRoutable, "update for %s", u.Dest))
		return
	}
	if d == nil && len(r.dests) >= r.cfg.MaxDestinations {
		r.stats.Drops[ReasonTableFull]++
		return
	}
	rt := &route{peer: n.id, routerID: u.RouterID, seqno: u.Seqno, metric: u.Metric,
		expires: now.Add(r.cfg.routeExpiry())}
	switch {
	case u.Signed:
		if !r.verify(u) {
			r.penalize(n.id, fault(ReasonBadSignature, "announcement of %s seqno %d", u.Dest, u.Seqno))
			return
		}
		rt.sig, rt.attrs = u.Sig, u.Attrs.clone()
	case old != nil && old.routerID == u.RouterID && old.seqno == u.Seqno:
		rt.sig, rt.attrs = old.sig, old.attrs // a refresh of what we verified
	default:
		// A refresh of an announcement we do not hold (we lost it, or the
		// peer is confused): ask for the signed one.
		r.stats.RequestsSent++
		r.send(n.id, LaneControl, &RouteRequest{Dest: u.Dest})
		return
	}
	d = r.dest(u.Dest)
	if old != nil && d.sel == old {
		d.sel = rt // keep the selection: the hysteresis compares against it
	}
	d.routes[n.id] = rt
	r.satisfyForwarded(d, rt)
	r.reselect(now, d)
}

// attrsOf returns the attributes an update stands for: its own when
// signed, those of the announcement it refreshes otherwise.
func attrsOf(u *Update, old *route) *Attrs {
	switch {
	case u.Signed:
		return u.Attrs
	case old != nil && old.routerID == u.RouterID && old.seqno == u.Seqno:
		return old.attrs
	}
	return nil
}

// verify checks an announcement's signature, once per (source, seqno, sig).
func (r *Router) verify(u *Update) bool {
	k := sourceKey{u.Dest, u.RouterID}
	if v, ok := r.verified[k]; ok && v.seqno == u.Seqno && v.sig == u.Sig {
		return true
	}
	r.stats.Verifications++
	if !verifyAnnounce(u) {
		return false
	}
	if v, ok := r.verified[k]; !ok || newer(u.Seqno, v.seqno) {
		r.verified[k] = verifiedAnn{seqno: u.Seqno, sig: u.Sig}
	}
	return true
}

// retracted handles an infinite-metric update: the neighbour no longer
// routes to the destination. Retractions are always feasible and carry no
// signature: they only ever remove a route through their sender.
func (r *Router) retracted(now time.Time, n *neighbour, u *Update) {
	d := r.dests[u.Dest]
	if d == nil || d.routes[n.id] == nil {
		return // a retraction of a route never seen: ignore (RFC 8966 §3.5.4)
	}
	d.routes[n.id].metric = Infinity
	r.reselect(now, d)
}

// advertise sends d's route to every neighbour when it changed enough:
// a new selection, a new source or seqno, a retraction, or a metric change
// beyond the trigger threshold (smaller drifts wait for the refresh, so RTT
// noise does not flood the network).
func (r *Router) advertise(now time.Time, d *destination) {
	if d.sel == nil {
		if d.adv.ok && d.adv.metric != Infinity {
			d.adv.metric = Infinity
			r.updateAll(now, d)
		}
		return
	}
	s := d.sel
	if d.adv.ok && d.adv.metric != Infinity && d.adv.routerID == s.routerID && d.adv.seqno == s.seqno {
		diff := int(d.selM) - int(d.adv.metric)
		if diff < 0 {
			diff = -diff
		}
		th := max(int(d.adv.metric)*r.cfg.TriggerThreshold/100, int(r.cfg.SwitchMin))
		if diff <= th {
			return
		}
	}
	d.adv.ok, d.adv.routerID, d.adv.seqno, d.adv.metric = true, s.routerID, s.seqno, d.selM
	r.updateAll(now, d)
}

// updateAll sends d's advertised route to every neighbour.
func (r *Router) updateAll(now time.Time, d *destination) {
	for _, id := range r.neighOrder {
		r.sendRoute(now, id, d, true)
	}
}

// sendRoute sends our route to d to one neighbour: the advertised one for
// triggered updates (adv) or the installed one for dumps and refreshes,
// signed unless it is a retraction or an unchanged refresh.
func (r *Router) sendRoute(now time.Time, to NodeID, d *destination, signed bool) {
	u := &Update{Dest: d.id, Metric: Infinity}
	if d.sel != nil {
		u.RouterID, u.Seqno, u.Sig = d.sel.routerID, d.sel.seqno, d.sel.sig
		u.Metric = d.selM
		u.Signed = signed
		if signed {
			u.Attrs = d.sel.attrs
		}
		r.noteAdvertised(now, d.id, u.RouterID, u.Seqno, u.Metric)
	} else if !d.adv.ok {
		return
	} else {
		u.RouterID, u.Seqno = d.adv.routerID, d.adv.seqno
	}
	r.sendUpdate(to, u)
}

func (r *Router) sendUpdate(to NodeID, u *Update) {
	r.stats.UpdatesSent++
	if u.Signed {
		r.stats.SignedSent++
	}
	r.send(to, LaneControl, u)
}

// noteAdvertised maintains the feasibility distance: whenever we advertise
// a finite metric, the source's distance becomes that (seqno, metric) if
// the seqno is newer, or the smaller metric if it is the same (RFC 8966
// §3.7.3).
func (r *Router) noteAdvertised(now time.Time, dest NodeID, routerID uint64, seqno uint16, m Metric) {
	if m == Infinity {
		return
	}
	k := sourceKey{dest, routerID}
	s := r.sources[k]
	switch {
	case s == nil:
		r.sources[k] = &source{seqno: seqno, metric: m, refreshed: now}
		return
	case newer(seqno, s.seqno):
		s.seqno, s.metric = seqno, m
	case seqno == s.seqno && m < s.metric:
		s.metric = m
	}
	s.refreshed = now
}

// selfUpdate is our own announcement: metric 0, signed by us.
func (r *Router) selfUpdate() *Update {
	return &Update{Dest: r.self, RouterID: r.routerID, Seqno: r.seqno, Metric: 0, Signed: true, Sig: r.selfSig, Attrs: r.cfg.Attrs}
}

// dumpTable sends a new neighbour our own announcement and every route,
// signed.
func (r *Router) dumpTable(now time.Time, to NodeID) {
	if r.cfg.Routable {
		r.sendUpdate(to, r.selfUpdate())
	}
	for _, id := range r.destOrder {
		if d := r.dests[id]; d.sel != nil {
			r.sendRoute(now, to, d, true)
		}
	}
}

// refresh is the periodic full update (unsigned: the neighbours verified
// these announcements already), plus route and source expiry.
func (r *Router) refresh(now time.Time) {
	for _, id := range r.neighOrder {
		if r.cfg.Routable {
			u := r.selfUpdate()
			u.Signed, u.Attrs = false, nil
			r.sendUpdate(id, u)
		}
		for _, did := range r.destOrder {
			if d := r.dests[did]; d.sel != nil {
				r.sendRoute(now, id, d, false)
			}
		}
	}
	for _, did := range r.destOrder {
		d := r.dests[did]
		if d.sel != nil {
			d.adv.ok, d.adv.routerID, d.adv.seqno, d.adv.metric = true, d.sel.routerID, d.sel.seqno, d.selM
		}
	}
	r.expireRoutes(now)
	for k, s := range r.sources {
		if now.Sub(s.refreshed) > r.cfg.SourceGC {
			delete(r.sources, k)
			delete(r.verified, k)
		}
	}
}

// expireRoutes drops routes not updated for the route expiry and forgets
// destinations with no route, no queue and no pending request.
func (r *Router) expireRoutes(now time.Time) {
	for _, id := range append([]NodeID(nil), r.destOrder...) {
		d := r.dests[id]
		changed := false
		for p, rt := range d.routes {
			if !now.Before(rt.expires) {
				delete(d.routes, p)
				changed = true
			}
		}
		if changed {
			if d.sel != nil && d.routes[d.sel.peer] != d.sel {
				d.sel = nil
			}
			r.reselect(now, d)
		}
		if len(d.routes) == 0 && d.sel == nil && len(d.queue) == 0 && !d.req.active {
			delete(r.dests, id)
			r.destOrder = removeSorted(r.destOrder, id)
		}
	}
}

// bump increments our seqno (a request asked for a newer one) and
// announces it to every neighbour.
func (r *Router) bump(now time.Time) {
	r.bumpAt = time.Time{}
	r.lastBump = now
	r.seqno++
	r.stats.Bumps++
	r.selfSig = signAnnounce(r.cfg.Key, r.self, r.routerID, r.seqno, r.cfg.Attrs)
	if !r.cfg.Routable {
		return
	}
	for _, id := range r.neighOrder {
		r.sendUpdate(id, r.selfUpdate())
	}
}

// handleRouteRequest answers with our signed route (or our own
// announcement).
func (r *Router) handleRouteRequest(now time.Time, n *neighbour, m *RouteRequest) {
	r.stats.RequestsReceived++
	if m.Dest == r.self {
		if r.cfg.Routable {
			r.sendUpdate(n.id, r.selfUpdate())
		}
		return
	}
	if d := r.dests[m.Dest]; d != nil && d.sel != nil {
		r.sendRoute(now, n.id, d, true)
	}
}
