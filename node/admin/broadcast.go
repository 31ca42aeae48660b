package admin

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/blockwire/blockwire/transport/broadcastrun"
)

// BroadcastBackend is the optional part of a Backend that broadcasts
// (*node.Node is one): the admin API serves GET /broadcast and the
// broadcast metrics when the backend has it.
type BroadcastBackend interface {
	// BroadcastInfo is the broadcast cache and counters; nil if none.
	BroadcastInfo() *broadcastrun.Info
}

// broadcastInfo serves the broadcast cache: bytes held and budget,
// entries, waiters, deferred messages, pending pulls, per-peer deques,
// bodies received per topic, the Engine's counters, refusals and drops.
func (s *Server) broadcastInfo(w http.ResponseWriter, _ *http.Request) {
	bb, ok := s.b.(BroadcastBackend)
	var in *broadcastrun.Info
	if ok {
		in = bb.BroadcastInfo()
	}
	if in == nil {
		writeError(w, http.StatusNotImplemented, "no-broadcast", "this backend does not broadcast")
		return
	}
	writeJSON(w, http.StatusOK, in)
}

var (
	descBcastCache    = desc("blockwire_broadcast_cache_bytes", "Message bytes the broadcast cache holds.")
	descBcastEntries  = desc("blockwire_broadcast_cache_entries", "Messages the broadcast cache holds.")
	descBcastWaiters  = desc("blockwire_broadcast_waiters", "Callers waiting for a message by digest.")
	descBcastFetches  = desc("blockwire_broadcast_fetches", "Announced digests not yet received (pending pulls).")
	descBcastMessages = desc("blockwire_broadcast_messages_total", "Broadcast outcomes by kind (received, duplicates, delivered, pushed, pulls, ...).", "outcome")
	descBcastBodies   = desc("blockwire_broadcast_bodies_total", "Message bodies received per topic (every copy).", "topic")
	descBcastDrops    = desc("blockwire_broadcast_drops_total", "Broadcast frames refused or dropped, by reason (the core's and the driver's).", "reason")
)

var broadcastDescs = []*prometheus.Desc{descBcastCache, descBcastEntries, descBcastWaiters, descBcastFetches,
	descBcastMessages, descBcastBodies, descBcastDrops}

// collectBroadcast exports the broadcast driver's state and counters.
func (m *Metrics) collectBroadcast(gauge func(*prometheus.Desc, float64, ...string), counter func(*prometheus.Desc, uint64, ...string)) {
	bb, ok := m.b.(BroadcastBackend)
	if !ok {
		return
	}
	in := bb.BroadcastInfo()
	if in == nil {
		return
	}
	gauge(descBcastCache, float64(in.CacheBytes))
	gauge(descBcastEntries, float64(in.Entries))
	gauge(descBcastWaiters, float64(in.Waiters))
	gauge(descBcastFetches, float64(in.Fetches))
	for k, v := range in.Stats {
		counter(descBcastMessages, v, k)
	}
	for t, v := range in.Bodies {
		counter(descBcastBodies, v, strconv.Itoa(int(t)))
	}
	for r, v := range in.Refused {
		counter(descBcastDrops, v, string(r))
	}
	for r, v := range in.Drops {
		counter(descBcastDrops, v, r)
	}
}
