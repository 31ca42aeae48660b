package bft

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// figures are the harness's latency measurements, in units of δ (virtual
// time: deterministic, no wall clock involved).
type figures struct {
	Scenario          string  `json:"scenario"`
	N                 int     `json:"n"`
	DeltaMS           int64   `json:"delta_ms"`
	FinalityP50Delta  float64 `json:"finality_p50_delta"`
	FinalityP99Delta  float64 `json:"finality_p99_delta"`
	BlockIntervalP50  float64 `json:"block_interval_p50_delta"`
	ViewChangeCostP50 float64 `json:"view_change_cost_p50_delta"`
	ViewChanges       int     `json:"view_changes"`
	Finalized         int     `json:"finalized_blocks"`
}

func measure(t *testing.T, name string, sc scenario) figures {
	t.Helper()
	nt := newNet(t, sc, nil)
	chk := nt.run()
	require.Empty(t, chk.violations)
	d := float64(sc.delta)
	q := func(xs []time.Duration, p float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return float64(xs[int(p*float64(len(xs)-1))]) / d
	}
	// The final chain, by height, with each block's proposal time.
	var chain []block.ID
	for h := uint64(1); ; h++ {
		id, ok := chk.final[h]
		if !ok {
			break
		}
		chain = append(chain, id)
	}
	var intervals, viewChange []time.Duration
	views := 0
	for i := 1; i < len(chain); i++ {
		gap := nt.proposed[chain[i]].Sub(nt.proposed[chain[i-1]])
		skipped := nt.blocks[chain[i]].View - nt.blocks[chain[i-1]].View - 1
		if skipped == 0 {
			intervals = append(intervals, gap)
		} else {
			views += int(skipped)
			viewChange = append(viewChange, (gap-2*sc.delta)/time.Duration(skipped))
		}
	}
	return figures{Scenario: name, N: sc.n, DeltaMS: sc.delta.Milliseconds(),
		FinalityP50Delta: q(chk.latency, 0.5), FinalityP99Delta: q(chk.latency, 0.99),
		BlockIntervalP50: q(intervals, 0.5), ViewChangeCostP50: q(viewChange, 0.5), ViewChanges: views,
		Finalized: len(chain)}
}

// TestReportFinality prints the latency figures docs/benchmarks.md records
// (go test ./consensus/bft/ -run TestReportFinality -v) and holds the good
// case to the fast path's 2δ: every producer notarizes, one voting round
// (before the fast path it was 3δ, and this fails there). Under a joint set
// the fast path is off: the ordinary 3δ.
func TestReportFinality(t *testing.T) {
	for _, n := range []int{4, 7, 10} {
		for _, d := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 150 * time.Millisecond} {
			fg := measure(t, "good", scenario{seed: 1, n: n, delta: d, post: 100 * d})
			require.InDelta(t, 2.0, fg.FinalityP50Delta, 1e-9)
			require.InDelta(t, 2.0, fg.FinalityP99Delta, 1e-9)
			report(t, fg)
		}
	}
	d := 10 * time.Millisecond
	joint := measure(t, "good-joint-set", scenario{seed: 1, n: 4, delta: d, post: 100 * d, joint: true})
	require.InDelta(t, 3.0, joint.FinalityP50Delta, 1e-9, "no fast path while two sets govern")
	report(t, joint)
	for _, skip := range []bool{true, false} {
		sc := scenario{seed: 1, n: 4, delta: d, post: 200 * d, byz: map[int]actorKind{1: actorSilent}}
		name := "one-silent-producer-skip"
		if !skip {
			name = "one-silent-producer-timeout"
			sc.noSkip = true
		}
		report(t, measure(t, name, sc))
	}
	sc := scenario{seed: 1, n: 4, delta: d, jitter: d / 2, post: 200 * d}
	report(t, measure(t, "jitter-50pct", sc))
	// A liar (withholds its votes, splits its views, lies in nullify
	// reports): no view is unanimous, finality falls back to 3δ.
	report(t, measure(t, "one-liar", scenario{seed: 1, n: 4, delta: d, post: 200 * d, byz: map[int]actorKind{1: actorLiar}}))
}

func report(t *testing.T, fg figures) {
	b, _ := json.Marshal(fg)
	t.Log(string(b))
}
