package sim

import (
	"fmt"
	"strings"
)

// Result is what one run measured. Field tags are the JSON that
// `blockwire sim --json` prints.
type Result struct {
	Seed  uint64 `json:"seed"`
	Nodes int    `json:"nodes"`
	// BlocksProduced counts blocks the producers made (equivocating twins
	// count once per slot).
	BlocksProduced int `json:"blocks_produced"`
	// HeadsAgree: every correct running node ended on the same best head.
	HeadsAgree bool `json:"heads_agree"`
	// IrreversibleMin and IrreversibleMax are the lowest and highest
	// irreversible heights over correct running nodes at the end.
	IrreversibleMin uint64 `json:"irreversible_min"`
	IrreversibleMax uint64 `json:"irreversible_max"`
	// SafetyViolations counts heights at which two correct nodes made
	// different blocks irreversible.
	SafetyViolations int `json:"safety_violations"`
	// CorrectRejections counts blocks or messages sent by a correct node
	// that another correct node refused as invalid or penalized it for
	// (seed 003's invariant; must be 0).
	CorrectRejections int `json:"correct_rejections"`
	// LivenessMaxMs is the longest time, after a partition healed or a node
	// restarted, until every correct running node held the highest
	// irreversible block; -1 when that never happened before the run ended.
	LivenessMaxMs float64 `json:"liveness_max_ms"`
	// CopiesPerNode is block bodies received by all nodes per block, over
	// nodes-1 (1.0 is perfect; flooding gives about the degree).
	CopiesPerNode float64 `json:"copies_per_node"`
	// DisseminationP50Ms and DisseminationP100Ms are, for the median block,
	// the time from production until half of / all the correct nodes held
	// it. DisseminationMaxMs is the p100 of the slowest block.
	DisseminationP50Ms  float64 `json:"dissemination_p50_ms"`
	DisseminationP100Ms float64 `json:"dissemination_p100_ms"`
	DisseminationMaxMs  float64 `json:"dissemination_max_ms"`
	// IdealDisseminationMs is the store-and-forward shortest-path time for
	// a block to reach every node from its producer (median over blocks).
	IdealDisseminationMs float64 `json:"ideal_dissemination_ms"`
	// HellosPerSync is the most hellos (both directions) one connection
	// exchanged before both sides left Start.
	HellosPerSync int `json:"hellos_per_sync"`
	// Syncs counts connections that completed Start.
	Syncs int `json:"syncs"`
	// CatchUpMs and CatchUpUtilization describe Config.CatchUpNode: time
	// from its first connection until it held the producer's head, and the
	// body bytes it received in that time over what its links could carry.
	CatchUpMs          float64 `json:"catchup_ms,omitempty"`
	CatchUpUtilization float64 `json:"catchup_utilization,omitempty"`
	// Penalties counts senders penalized for invalid input (byzantine
	// senders included).
	Penalties int `json:"penalties"`
	// BytesControl and BytesBlocks are bytes sent per lane.
	BytesControl int64 `json:"bytes_control"`
	BytesBlocks  int64 `json:"bytes_blocks"`
	// VirtualMs is the simulated time the run covered.
	VirtualMs float64 `json:"virtual_ms"`
	Events    uint64  `json:"events"`
	WallMs    float64 `json:"wall_ms"`
	// EventsPerSec is events over wall time.
	EventsPerSec float64 `json:"events_per_sec"`
	// TraceHash is a hash over every event; one seed, one hash.
	TraceHash string `json:"trace_hash"`
	// BFT holds consensus figures of a --mode bft run.
	BFT *BFTResult `json:"bft,omitempty"`
	// Failures lists the invariants that failed, empty when all held.
	Failures []string `json:"failures,omitempty"`
	// Command replays the run.
	Command string `json:"command"`
}

// Failed reports whether an invariant failed.
func (r *Result) Failed() bool { return len(r.Failures) > 0 }

// Summary renders the result for people.
func (r *Result) Summary() string {
	var b strings.Builder
	status := "OK"
	if r.Failed() {
		status = "FAILED: " + strings.Join(r.Failures, "; ")
	}
	fmt.Fprintf(&b, "sim seed %d: %s\n", r.Seed, status)
	fmt.Fprintf(&b, "  nodes %d, blocks %d, heads agree %v, irreversible %d..%d\n",
		r.Nodes, r.BlocksProduced, r.HeadsAgree, r.IrreversibleMin, r.IrreversibleMax)
	fmt.Fprintf(&b, "  safety violations %d, correct rejections %d, penalties %d, liveness max %.1f ms\n",
		r.SafetyViolations, r.CorrectRejections, r.Penalties, r.LivenessMaxMs)
	fmt.Fprintf(&b, "  copies/node %.3f, dissemination p50 %.1f ms, p100 %.1f ms (max %.1f), ideal %.1f ms (p100/ideal %.3f)\n",
		r.CopiesPerNode, r.DisseminationP50Ms, r.DisseminationP100Ms, r.DisseminationMaxMs, r.IdealDisseminationMs, ratio(r.DisseminationP100Ms, r.IdealDisseminationMs))
	fmt.Fprintf(&b, "  hellos/sync %d over %d syncs, bytes control %d, blocks %d\n", r.HellosPerSync, r.Syncs, r.BytesControl, r.BytesBlocks)
	if r.CatchUpMs > 0 {
		fmt.Fprintf(&b, "  catch-up %.1f ms at %.1f%% of link bandwidth\n", r.CatchUpMs, 100*r.CatchUpUtilization)
	}
	if r.BFT != nil {
		r.BFT.summary(&b)
	}
	fmt.Fprintf(&b, "  %d events in %.0f ms wall (%.0f events/s), %.0f ms virtual, trace %s\n",
		r.Events, r.WallMs, r.EventsPerSec, r.VirtualMs, r.TraceHash)
	fmt.Fprintf(&b, "  replay: %s\n", r.Command)
	return b.String()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
