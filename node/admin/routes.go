package admin

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/blockwire/blockwire/transport"
)

// RoutesBackend is the optional part of a Backend that routes (*node.Node
// is one): the admin API serves GET /routes and the routing metrics when
// the backend has it. Optional so that backends without a transport keep
// satisfying Backend.
type RoutesBackend interface {
	// Routes lists the routing table; nil before the node started.
	Routes() []transport.RouteInfo
	// TransportStats are the transport's counters; nil before the node
	// started.
	TransportStats() *transport.Stats
}

// routes serves the routing table: destination, next hop, metric, RTT,
// seqno, feasibility distance, age and queued messages per destination.
func (s *Server) routeTable(w http.ResponseWriter, _ *http.Request) {
	rb, ok := s.b.(RoutesBackend)
	if !ok {
		writeError(w, http.StatusNotImplemented, "no-transport", "this backend does not route")
		return
	}
	rs := rb.Routes()
	if rs == nil {
		rs = []transport.RouteInfo{}
	}
	writeJSON(w, http.StatusOK, rs)
}

var (
	descRoutes       = desc("blockwire_routes", "Routing destinations known, by state.", "state")
	descRouteQueue   = desc("blockwire_route_queue_depth", "Routed messages waiting for a route.")
	descRouteDrops   = desc("blockwire_route_drops_total", "Routed messages dropped or refused, by reason (route reasons and the driver's own).", "reason")
	descRouteControl = desc("blockwire_route_control_bytes_total", "Bytes of routing control messages sent (hellos, updates, requests).")
	descRouteData    = desc("blockwire_route_data_total", "Routed data messages by stage: sent, forwarded, delivered, replies.", "stage")
)

var routeDescs = []*prometheus.Desc{descRoutes, descRouteQueue, descRouteDrops, descRouteControl, descRouteData}

// collectRoutes exports the transport's counters.
func (m *Metrics) collectRoutes(gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, uint64, ...string)) {
	rb, ok := m.b.(RoutesBackend)
	if !ok {
		return
	}
	st := rb.TransportStats()
	if st == nil {
		return
	}
	gauge(descRoutes, float64(st.Reachable), "reachable")
	gauge(descRoutes, float64(st.Destinations-st.Reachable), "unreachable")
	gauge(descRouteQueue, float64(st.QueueDepth))
	for reason, n := range st.Route.Drops {
		counter(descRouteDrops, n, string(reason))
	}
	for reason, n := range st.Drops {
		counter(descRouteDrops, n, reason)
	}
	counter(descRouteControl, st.Route.ControlBytes)
	counter(descRouteData, st.Route.DataSent, "sent")
	counter(descRouteData, st.Route.DataForwarded, "forwarded")
	counter(descRouteData, st.Route.Delivered, "delivered")
	counter(descRouteData, st.Route.RepliesSent+st.Route.RepliesForwarded, "replies")
}
