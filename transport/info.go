package transport

import (
	"maps"
	"time"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// RouteInfo is one destination of the routing table, as an operator sees
// it (GET /routes).
type RouteInfo struct {
	Dest      link.PeerID   `json:"dest"`
	NextHop   link.PeerID   `json:"next_hop,omitempty"`
	Reachable bool          `json:"reachable"`
	Metric    route.Metric  `json:"metric"`
	RTT       time.Duration `json:"rtt_ns"`
	RouterID  uint64        `json:"router_id"`
	Seqno     uint16        `json:"seqno"`
	// FDSeqno and FDMetric are the feasibility distance of the selected
	// source (Babel: a route is feasible only if better than it).
	FDSeqno  uint16        `json:"fd_seqno"`
	FDMetric route.Metric  `json:"fd_metric"`
	Age      time.Duration `json:"age_ns"` // since the neighbour last updated the route
	Queued   int           `json:"queued"`
}

// Routes lists every destination the router knows, sorted by routing id.
func (t *Transport) Routes() []RouteInfo {
	t.mu.Lock()
	rs := t.r.Routes()
	now := t.cfg.Now()
	t.mu.Unlock()
	out := make([]RouteInfo, 0, len(rs))
	for _, r := range rs {
		ri := RouteInfo{Dest: mustPeer(r.Dest), Reachable: r.Reachable, Metric: r.Metric, RTT: r.RTT,
			RouterID: r.RouterID, Seqno: r.Seqno, FDSeqno: r.FDSeqno, FDMetric: r.FDMetric, Queued: r.Queued}
		if r.Reachable {
			ri.NextHop = mustPeer(r.NextHop)
			ri.Age = now.Sub(r.Updated)
		}
		out = append(out, ri)
	}
	return out
}

// Stats are a Transport's counters.
type Stats struct {
	// Route are the router's counters (Route.Drops by route.Reason).
	Route route.Stats
	// Destinations is the routing table's size, Reachable those with a
	// route, QueueDepth the messages waiting for a route.
	Destinations, Reachable, QueueDepth int
	// Outbox is the outputs waiting for their handlers.
	Outbox int
	// Drops are the driver's own drops by reason (no-link, link-closed,
	// link-queue-full, link-error, outbox-full, no-handler).
	Drops map[string]uint64
	// Links is how many links the router uses.
	Links int
}

// Stats returns a snapshot of the counters.
func (t *Transport) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Stats{Route: t.r.Stats(), Outbox: len(t.out[prioConsensus]) + len(t.out[prioOther]), Drops: maps.Clone(t.drops), Links: len(t.links)}
	for _, r := range t.r.Routes() {
		s.Destinations++
		if r.Reachable {
			s.Reachable++
		}
		s.QueueDepth += r.Queued
	}
	return s
}
