package route

import "time"

// neighbour is the state of one link: hello/IHU liveness and the smoothed
// RTT that makes its cost.
//
// Invariant: up implies sampled, and that a hello arrived and the peer
// echoed one of ours within the hold time (the link works both ways).
type neighbour struct {
	id NodeID
	// lastHello is when the peer's last hello arrived; peerTS is its
	// timestamp and peerIv its advertised interval.
	lastHello time.Time
	peerTS    uint32
	peerIv    time.Duration
	// heardUs is when a hello arrived whose echo showed the peer heard us.
	heardUs time.Time
	// srtt is the smoothed RTT; sampled says srtt holds a sample.
	srtt    time.Duration
	sampled bool
	up      bool
	// lastCost is the cost routes through the link were last reselected
	// with: drifts below SwitchMin do not reselect (hellos arrive four
	// times a second per link, and the hysteresis would keep the routes
	// anyway).
	lastCost Metric
}

// expiry is when the link goes down without another hello; zero if down.
func (n *neighbour) expiry(c *Config) time.Time {
	if !n.up {
		return time.Time{}
	}
	t := n.lastHello
	if n.heardUs.Before(t) {
		t = n.heardUs
	}
	return t.Add(c.hold(n.peerIv))
}

// cost is the link's metric: HopCost plus the smoothed RTT in 100 µs
// units. Infinity while the link is down.
func (r *Router) cost(n *neighbour) Metric {
	if !n.up {
		return Infinity
	}
	return r.cfg.HopCost.add(rttMetric(n.srtt))
}

func rttMetric(d time.Duration) Metric {
	u := d / (100 * time.Microsecond)
	if u >= time.Duration(Infinity) {
		return Infinity
	}
	return Metric(u)
}

func micros(t time.Time) uint32 { return uint32(t.UnixMicro()) }

// AddLink tells the Router a connection to peer is established. We send a
// hello at once and our full table (signed), so a new neighbour learns
// every route in one round trip; routes through the peer become usable
// when its hellos prove the link works both ways. Adding a link that
// exists resets it (a new connection replaced the old one).
func (r *Router) AddLink(now time.Time, peer NodeID) {
	if peer == r.self {
		return
	}
	if r.neigh[peer] != nil {
		r.RemoveLink(now, peer)
	}
	n := &neighbour{id: peer}
	r.neigh[peer] = n
	r.neighOrder = insertSorted(r.neighOrder, peer)
	r.sendHello(now, n)
	r.dumpTable(now, peer)
}

// RemoveLink tells the Router the connection to peer closed (a clean
// failure): its routes are dropped at once and the affected destinations
// reselected.
func (r *Router) RemoveLink(now time.Time, peer NodeID) {
	n := r.neigh[peer]
	if n == nil {
		return
	}
	n.up = false
	delete(r.neigh, peer)
	r.neighOrder = removeSorted(r.neighOrder, peer)
	for _, id := range r.destOrder {
		d := r.dests[id]
		if d.routes[peer] != nil {
			delete(d.routes, peer)
			r.reselect(now, d)
		}
	}
}

// Links lists our neighbours and whether each link is up (bidirectional
// and hello-fresh), with its smoothed RTT.
func (r *Router) Links() []LinkInfo {
	out := make([]LinkInfo, 0, len(r.neighOrder))
	for _, id := range r.neighOrder {
		n := r.neigh[id]
		out = append(out, LinkInfo{Peer: id, Up: n.up, RTT: n.srtt, Cost: r.cost(n)})
	}
	return out
}

// LinkInfo describes one link.
type LinkInfo struct {
	Peer NodeID
	Up   bool
	RTT  time.Duration
	Cost Metric
}

func (r *Router) sendHellos(now time.Time) {
	for _, id := range r.neighOrder {
		r.sendHello(now, r.neigh[id])
	}
}

func (r *Router) sendHello(now time.Time, n *neighbour) {
	h := &Hello{Interval: uint16(r.cfg.HelloInterval / time.Millisecond), TS: micros(now)}
	if !n.lastHello.IsZero() && now.Sub(n.lastHello) < r.cfg.hold(n.peerIv) {
		h.Echo, h.EchoTS = true, n.peerTS
		h.EchoDelay = uint32(now.Sub(n.lastHello) / time.Microsecond)
	}
	r.stats.HellosSent++
	r.send(n.id, LaneControl, h)
}

// handleHello records liveness and, when the hello echoes one of ours, an
// RTT sample (RFC 9616). A hello from a peer that has not heard us yet is
// answered at once, so a new link measures its RTT in one round trip.
func (r *Router) handleHello(now time.Time, n *neighbour, h *Hello) {
	r.stats.HellosReceived++
	n.lastHello, n.peerTS = now, h.TS
	n.peerIv = time.Duration(h.Interval) * time.Millisecond
	if h.Echo {
		rtt := time.Duration(micros(now)-h.EchoTS-h.EchoDelay) * time.Microsecond
		if rtt >= 0 && rtt < 10*time.Second {
			n.heardUs = now
			r.sample(n, rtt)
		}
	}
	if !h.Echo {
		r.sendHello(now, n)
	}
	r.setUp(now, n, n.sampled && !n.heardUs.IsZero() && now.Sub(n.heardUs) < r.cfg.hold(n.peerIv))
}

// sample folds an RTT sample into srtt with weight RTTAlpha/256.
func (r *Router) sample(n *neighbour, rtt time.Duration) {
	if !n.sampled {
		n.srtt, n.sampled = rtt, true
		return
	}
	a := time.Duration(r.cfg.RTTAlpha)
	n.srtt = (n.srtt*(256-a) + rtt*a) / 256
}

// setUp changes a link's state; every destination is reselected when the
// link comes up or goes down (its routes become usable or not), and the
// installed metrics of routes through it follow its cost.
func (r *Router) setUp(now time.Time, n *neighbour, up bool) {
	changed := n.up != up
	n.up = up
	c := r.cost(n)
	drift := int(c) - int(n.lastCost)
	if !changed && (drift < 0 && -drift < int(r.cfg.SwitchMin) || drift >= 0 && drift < int(r.cfg.SwitchMin)) {
		return
	}
	n.lastCost = c
	for _, id := range r.destOrder {
		if d := r.dests[id]; d.routes[n.id] != nil {
			r.reselect(now, d)
		}
	}
}

// tickNeighbours takes down links whose hellos stopped (a silent failure).
func (r *Router) tickNeighbours(now time.Time) {
	for _, id := range r.neighOrder {
		n := r.neigh[id]
		if n.up && !now.Before(n.expiry(&r.cfg)) {
			r.setUp(now, n, false)
		}
	}
}
