package sim

import (
	"fmt"
	"strings"
)

// RoutesResult is what one routing run measured; its JSON is what
// `blockwire sim routes --json` prints.
type RoutesResult struct {
	Seed         uint64 `json:"seed"`
	Nodes        int    `json:"nodes"`
	Destinations int    `json:"destinations"`
	Links        int    `json:"links"`
	// Loops counts forwarding loops found after any event (must be 0).
	Loops int `json:"loops"`
	// ColdStartMs is when every node first reached every destination.
	ColdStartMs float64 `json:"cold_start_ms"`
	// ConvergenceMs is, over every fault, the longest time from the fault
	// until routing was correct again (every node with a live path to a
	// destination reaching it by next hops over live links; no route to an
	// unreachable one), including detection of silent failures.
	// ConvergenceHellos is the same in hello intervals.
	ConvergenceMs     float64 `json:"convergence_ms"`
	ConvergenceHellos float64 `json:"convergence_hellos"`
	// Faults is the number of fault windows measured; Unconverged counts
	// windows that ended with routing still wrong.
	Faults      int `json:"faults"`
	Unconverged int `json:"unconverged"`
	// StretchP50 and StretchMax compare, at the end, the true latency of
	// each selected path with the shortest path's.
	StretchP50 float64 `json:"stretch_p50"`
	StretchMax float64 `json:"stretch_max"`
	// ControlBytesPerNodeS is routing control traffic (hellos, updates,
	// requests, with link framing) per node per second after the cold
	// start, faults included.
	ControlBytesPerNodeS float64 `json:"control_bytes_per_node_s"`
	// UnicastSent counts probes; UnicastCounted those sent while routing
	// was converged with no fault in the next 3 s, of which the ratio
	// UnicastDeliveredRatio arrived (must be 1).
	UnicastSent           int     `json:"unicast_sent"`
	UnicastCounted        int     `json:"unicast_counted"`
	UnicastDeliveredRatio float64 `json:"unicast_delivered_ratio"`
	// UnicastDroppedNoRoute counts probes that waited QueueTTL for a route
	// and were reported back to their sender (never silently).
	UnicastDroppedNoRoute int `json:"unicast_dropped_no_route"`
	// Multicast figures: messages sent to every destination at the end,
	// the share of (message, destination) pairs delivered, and the most
	// copies of one message any link direction carried (must be 1).
	Multicasts                int     `json:"multicasts"`
	MulticastDeliveredRatio   float64 `json:"multicast_delivered_ratio"`
	MulticastMaxCopiesPerLink int     `json:"multicast_max_copies_per_link"`
	// MulticastTransmissions counts multicast copies sent over links, and
	// MulticastExtraCopies those that repeated a message on a link
	// direction that had already carried it (0 when every link carries one
	// copy).
	MulticastTransmissions int `json:"multicast_transmissions"`
	MulticastExtraCopies   int `json:"multicast_extra_copies"`
	// Penalties counts penalties between correct nodes (must be 0).
	Penalties int `json:"penalties"`
	// Switches counts selected-route changes over all nodes.
	Switches  int      `json:"switches"`
	VirtualMs float64  `json:"virtual_ms"`
	Events    uint64   `json:"events"`
	TraceHash string   `json:"trace_hash"`
	Failures  []string `json:"failures,omitempty"`
	Command   string   `json:"command"`
}

// Failed reports whether an invariant failed.
func (r *RoutesResult) Failed() bool { return len(r.Failures) > 0 }

func (r *routesRunner) result() RoutesResult {
	m := &r.m
	m.dirty = true
	m.evaluate(r)
	m.closeWindow(r)
	res := RoutesResult{
		Seed: r.cfg.Seed, Nodes: r.cfg.Nodes, Destinations: len(r.dests), Links: len(r.links),
		Loops: m.loops, ColdStartMs: ms(m.coldStart), Faults: len(m.convergence) + m.unconverged,
		Unconverged: m.unconverged, UnicastSent: m.probesSent, UnicastCounted: m.probesCounted,
		UnicastDroppedNoRoute: m.noRoute, Multicasts: len(m.mcast), Penalties: m.penalties,
		Switches: m.switches, VirtualMs: ms(r.e.now), Events: r.e.events,
		TraceHash: fmt.Sprintf("%016x", r.e.trace.Sum64()), Command: r.cfg.Command(),
	}
	for _, c := range m.convergence {
		res.ConvergenceMs = max(res.ConvergenceMs, ms(c))
	}
	res.ConvergenceHellos = round3(res.ConvergenceMs / ms(r.cfg.Hello))
	p50, worst := r.stretch()
	res.StretchP50, res.StretchMax = round3(p50), round3(worst)
	if span := r.e.now - m.coldStart; m.coldDone && span > 0 {
		res.ControlBytesPerNodeS = round3(float64(m.controlBytesAfter) / float64(r.cfg.Nodes) / span.Seconds())
	}
	res.UnicastDeliveredRatio = 1
	if m.probesCounted > 0 {
		res.UnicastDeliveredRatio = round3(float64(m.probesDelivered) / float64(m.probesCounted))
	}
	res.MulticastDeliveredRatio = 1
	if m.mcastExpected > 0 {
		res.MulticastDeliveredRatio = round3(float64(m.mcastDeliveries) / float64(m.mcastExpected))
	}
	for _, c := range m.copies {
		res.MulticastMaxCopiesPerLink = max(res.MulticastMaxCopiesPerLink, c)
		res.MulticastTransmissions += c
		res.MulticastExtraCopies += c - 1
	}
	res.Failures = r.failures(&res)
	return res
}

func (r *routesRunner) failures(res *RoutesResult) []string {
	var f []string
	if res.Loops > 0 {
		f = append(f, fmt.Sprintf("%d forwarding loops (first %s)", res.Loops, r.m.firstLoop))
	}
	if !r.m.coldDone {
		f = append(f, "routing never converged after the cold start")
	}
	if res.Unconverged > 0 {
		f = append(f, fmt.Sprintf("%d fault windows ended unconverged", res.Unconverged))
	}
	if res.Penalties > 0 {
		f = append(f, fmt.Sprintf("%d penalties between correct nodes %v", res.Penalties, r.m.penaltyReasons))
	}
	if res.UnicastDeliveredRatio < 1 {
		f = append(f, fmt.Sprintf("unicast delivered ratio %.3f after convergence", res.UnicastDeliveredRatio))
	}
	if res.Multicasts > 0 && (res.MulticastDeliveredRatio < 1 || res.MulticastMaxCopiesPerLink > 1) {
		f = append(f, fmt.Sprintf("multicast delivered %.3f with up to %d copies per link", res.MulticastDeliveredRatio, res.MulticastMaxCopiesPerLink))
	}
	return f
}

// Summary renders the result for people.
func (r *RoutesResult) Summary() string {
	var b strings.Builder
	status := "OK"
	if r.Failed() {
		status = "FAILED: " + strings.Join(r.Failures, "; ")
	}
	fmt.Fprintf(&b, "sim routes seed %d: %s\n", r.Seed, status)
	fmt.Fprintf(&b, "  nodes %d, links %d, destinations %d, loops %d\n", r.Nodes, r.Links, r.Destinations, r.Loops)
	fmt.Fprintf(&b, "  cold start %.1f ms; after %d faults convergence max %.1f ms (%.2f hellos), unconverged %d\n",
		r.ColdStartMs, r.Faults, r.ConvergenceMs, r.ConvergenceHellos, r.Unconverged)
	fmt.Fprintf(&b, "  stretch p50 %.3f max %.3f; control %.0f B/s per node; switches %d\n", r.StretchP50, r.StretchMax, r.ControlBytesPerNodeS, r.Switches)
	fmt.Fprintf(&b, "  unicast %d sent, %d counted, delivered %.3f, no-route %d; multicast %d, delivered %.3f, max copies/link %d (%d extra of %d)\n",
		r.UnicastSent, r.UnicastCounted, r.UnicastDeliveredRatio, r.UnicastDroppedNoRoute, r.Multicasts, r.MulticastDeliveredRatio,
		r.MulticastMaxCopiesPerLink, r.MulticastExtraCopies, r.MulticastTransmissions)
	fmt.Fprintf(&b, "  %d events, %.0f ms virtual, trace %s\n  replay: %s\n", r.Events, r.VirtualMs, r.TraceHash, r.Command)
	return b.String()
}
