package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/blockwire/blockwire/node"
)

// consensusFigures are testnet's consensus measurements, computed from
// the nodes' own per-block records (GET /propagation: when each node held
// a block and when it made it irreversible) with the simulator's
// definitions (sim.BFTResult), so that bft and cft compare in one table
// and with `blockwire sim --mode bft`. Times are on one host's clock
// (loopback): no skew between nodes.
type consensusFigures struct {
	Engine string `json:"engine"`
	// BlocksMeasured counts the blocks made during the run that a producer
	// made irreversible.
	BlocksMeasured int `json:"blocks_measured"`
	// FinalityP50Ms and FinalityP99Ms: from a block's proposal (its
	// producer finished and synced it; its header time when the producer's
	// record is gone, after a kill) until the first producer held it
	// irreversible. bft: the finalization certificate seen (sim's
	// finality_p50_ms); cft: the id applied from the raft log (commit
	// latency).
	FinalityP50Ms float64 `json:"finality_p50_ms"`
	FinalityP99Ms float64 `json:"finality_p99_ms"`
	// FullNodeP50Ms and FullNodeP99Ms: the same, until each full node held
	// it irreversible (bft: a later block carried the certificate; cft:
	// a later header named it).
	FullNodeP50Ms float64 `json:"irreversible_full_p50_ms,omitempty"`
	FullNodeP99Ms float64 `json:"irreversible_full_p99_ms,omitempty"`
	// BlockIntervalP50Ms is the median gap between the proposals of
	// consecutive final blocks; FinalIntervalP50Ms and FinalGapMaxMs the
	// median and the longest gap between their finalizations (a stall
	// shows in the latter).
	BlockIntervalP50Ms float64 `json:"block_interval_p50_ms"`
	FinalIntervalP50Ms float64 `json:"final_interval_p50_ms"`
	FinalGapMaxMs      float64 `json:"final_gap_max_ms"`
	// ViewChanges, bft: views during the run that hold no final block
	// (nullified after a timeout or a skipped leader, or notarized on an
	// abandoned branch; sim's views_skipped). cft: raft terms begun
	// (elections).
	ViewChanges uint64 `json:"view_changes"`
	// RTTP50Ms is the median link round trip the producers measured to
	// their peers: δ ≈ RTT/2, and FinalityP50Delta is finality in δ units
	// (sim's finality_p50_delta; on loopback δ is tiny and block building,
	// fsyncs and scheduling dominate).
	RTTP50Ms         float64 `json:"rtt_p50_ms,omitempty"`
	FinalityP50Delta float64 `json:"finality_p50_delta,omitempty"`
}

// finalBlock is one height of the final chain as the nodes saw it.
type finalBlock struct {
	height   uint64
	proposed time.Time // producer's finish time (or the header's)
	final    time.Time // first producer to hold it irreversible
}

// measureConsensus reads every node's per-block records and /peers and
// computes the figures over the blocks made between the samples first
// and last; it also returns the final chain's timeline (the leader kill's
// analysis uses it).
func measureConsensus(ctx context.Context, engine string, clients []*adminClient, producer []bool, first, last []nodeSample) (*consensusFigures, []finalBlock) {
	var lo, hi uint64
	for i := range first {
		if first[i].err == nil {
			lo = max(lo, first[i].status.Head.Height+1)
		}
		if last[i].err == nil {
			hi = max(hi, last[i].status.Head.Height)
		}
	}
	recs := make([][]node.BlockArrival, len(clients))
	rtts := make([][]node.PeerStatus, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			_ = c.do(ctx, "GET", fmt.Sprintf("/propagation?from=%d", lo), nil, &recs[i], nil)
			if producer[i] {
				_ = c.do(ctx, "GET", "/peers", nil, &rtts[i], nil)
			}
		})
	}
	wg.Wait()
	fig, timeline := consensusFrom(recs, producer, lo, hi)
	fig.Engine = engine
	fig.ViewChanges = viewChanges(engine, first, last)
	var rtt []time.Duration
	for _, ps := range rtts {
		for _, p := range ps {
			if d, err := time.ParseDuration(p.RTT); err == nil && d > 0 {
				rtt = append(rtt, d)
			}
		}
	}
	if len(rtt) > 0 {
		r := quantile(rtt, 0.5)
		fig.RTTP50Ms = ms(r)
		fig.FinalityP50Delta = fig.FinalityP50Ms / (fig.RTTP50Ms / 2)
	}
	return fig, timeline
}

// consensusFrom is the pure part: recs[i] is node i's record, producer[i]
// whether it is a producer; blocks in [lo, hi] count.
func consensusFrom(recs [][]node.BlockArrival, producer []bool, lo, hi uint64) (*consensusFigures, []finalBlock) {
	proposed := map[uint64]time.Time{}
	final := map[uint64]time.Time{}
	for i, rec := range recs {
		for _, a := range rec {
			if a.Height < lo || a.Height > hi {
				continue
			}
			if a.Produced && !a.First.IsZero() {
				proposed[a.Height] = a.First
			} else if _, ok := proposed[a.Height]; !ok && !a.Timestamp.IsZero() {
				proposed[a.Height] = a.Timestamp // fallback; the producer's own record wins
			}
			if producer[i] && !a.Irreversible.IsZero() {
				if f, ok := final[a.Height]; !ok || a.Irreversible.Before(f) {
					final[a.Height] = a.Irreversible
				}
			}
		}
	}
	var timeline []finalBlock
	for h, f := range final {
		if p, ok := proposed[h]; ok {
			timeline = append(timeline, finalBlock{height: h, proposed: p, final: f})
		}
	}
	slices.SortFunc(timeline, func(a, b finalBlock) int { return int(a.height) - int(b.height) })
	fig := &consensusFigures{BlocksMeasured: len(timeline)}
	var lat, full, props, finals []time.Duration
	for k, b := range timeline {
		lat = append(lat, max(b.final.Sub(b.proposed), 0))
		if k > 0 && timeline[k-1].height+1 == b.height {
			props = append(props, b.proposed.Sub(timeline[k-1].proposed))
			finals = append(finals, max(b.final.Sub(timeline[k-1].final), 0))
		}
	}
	for i, rec := range recs {
		for _, a := range rec {
			p, ok := proposed[a.Height]
			if producer[i] || !ok || a.Irreversible.IsZero() || a.Height < lo || a.Height > hi {
				continue
			}
			full = append(full, max(a.Irreversible.Sub(p), 0))
		}
	}
	if len(lat) > 0 {
		fig.FinalityP50Ms, fig.FinalityP99Ms = ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99))
	}
	if len(full) > 0 {
		fig.FullNodeP50Ms, fig.FullNodeP99Ms = ms(quantile(full, 0.5)), ms(quantile(full, 0.99))
	}
	if len(props) > 0 {
		fig.BlockIntervalP50Ms = ms(quantile(props, 0.5))
		fig.FinalIntervalP50Ms, fig.FinalGapMaxMs = ms(quantile(finals, 0.5)), ms(slices.Max(finals))
	}
	return fig, timeline
}

// quantile is the simulator's: the element at len·q (p99 capped at the
// last), over a sorted copy.
func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

// viewChanges counts, between two samples, the bft views that hold no
// final block (the views of the highest irreversible blocks minus the
// heights gained), or the raft terms begun under cft.
func viewChanges(engine string, first, last []nodeSample) uint64 {
	a, okA := highestIrreversible(first)
	b, okB := highestIrreversible(last)
	if !okA || !okB || b.Height < a.Height || b.Term < a.Term {
		return 0
	}
	if engine != string(node.EngineBFT) {
		return b.Term - a.Term
	}
	return (b.Term - a.Term) - min(b.Term-a.Term, b.Height-a.Height)
}

func highestIrreversible(s []nodeSample) (node.BlockRef, bool) {
	var best node.BlockRef
	ok := false
	for _, x := range s {
		if x.err == nil && (!ok || x.status.Irreversible.Height > best.Height) {
			best, ok = x.status.Irreversible, true
		}
	}
	return best, ok
}

// printConsensusSummary adds the consensus figures (and the leader kill)
// to testnet's summary.
func printConsensusSummary(w io.Writer, c *consensusFigures, k *killResult) {
	if c == nil || c.BlocksMeasured == 0 {
		return
	}
	fmt.Fprintf(w, "finality (%s)\tp50 %.0f ms, p99 %.0f ms to the first producer; full nodes p50 %.0f ms, p99 %.0f ms; %d view changes; final every %.0f ms (longest gap %.0f ms)\n",
		c.Engine, c.FinalityP50Ms, c.FinalityP99Ms, c.FullNodeP50Ms, c.FullNodeP99Ms, c.ViewChanges, c.FinalIntervalP50Ms, c.FinalGapMaxMs)
	if k != nil && k.Node != "" {
		fmt.Fprintf(w, "leader kill\t%s (view/term %d) at %.1f s: stall %.0f ms, longest gap %.0f ms, %d blocks final and %d view changes while down, recovered %.0f ms after its restart %s\n",
			k.Node, k.View, k.AtS, k.StallMs, k.GapMaxMs, k.FinalizedWhileDown, k.ViewChangesWhileDown, k.RecoveryMs, k.Error)
	}
}
