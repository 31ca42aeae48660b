package route

import "time"

// SetRoutable turns our own announcement on or off at run time (a node
// added to or removed from the producer set). On: every neighbour gets our
// signed announcement at once. Off: every neighbour gets a retraction, so
// routes to us go at once rather than after the route expiry.
func (r *Router) SetRoutable(now time.Time, on bool) {
	if r.cfg.Routable == on {
		return
	}
	r.cfg.Routable = on
	for _, id := range r.neighOrder {
		if on {
			r.sendUpdate(id, r.selfUpdate())
		} else {
			r.sendUpdate(id, &Update{Dest: r.self, RouterID: r.routerID, Seqno: r.seqno, Metric: Infinity})
		}
	}
}

// Routable reports whether we announce ourselves.
func (r *Router) Routable() bool { return r.cfg.Routable }

// Readmit applies Config.Admit again to every destination we hold routes
// for (call it when what Admit reads changed: a new producer set). Routes
// to destinations it now refuses are dropped, which retracts them towards
// our neighbours; their queued messages fail when their time runs out.
func (r *Router) Readmit(now time.Time) {
	if r.cfg.Admit == nil {
		return
	}
	for _, id := range append([]NodeID(nil), r.destOrder...) {
		d := r.dests[id]
		if len(d.routes) == 0 || r.admit(id, anyAttrs(d)) {
			continue
		}
		clear(d.routes)
		d.sel = nil
		r.reselect(now, d)
	}
}

// anyAttrs are the attributes d's selected route (or any route) carries.
func anyAttrs(d *destination) *Attrs {
	if d.sel != nil && d.sel.attrs != nil {
		return d.sel.attrs
	}
	for _, rt := range d.routes {
		if rt.attrs != nil {
			return rt.attrs
		}
	}
	return nil
}
