package sim

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bftSweepConfig draws an adversarial --mode bft run from seed: n ∈ {4, 7,
// 10} producers (4 in half the seeds), f = ⌊(n−1)/3⌋ of them byzantine
// from the catalogue (twins included), δ ∈ {10, 50, 150} ms, jitter, loss,
// crashpoints on the correct producers and up to two partitions during the
// adversarial prefix of 40δ. The byzantine producers misbehave to the end.
func bftSweepConfig(seed uint64) Config {
	rng := rand.New(rand.NewPCG(seed, 0xbf7))
	n := []int{4, 4, 7, 10}[rng.IntN(4)]
	d := []time.Duration{10, 50, 150}[rng.IntN(3)] * time.Millisecond
	f := (n - 1) / 3
	cfg := DefaultConfig()
	cfg.Seed, cfg.Mode, cfg.Producers = seed, ModeBFT, n
	cfg.Nodes = 2*n + 2*rng.IntN(3) // a twin of producer i runs on node n+i
	cfg.Degree = 3 + rng.IntN(2)
	if cfg.Nodes*cfg.Degree%2 == 1 {
		cfg.Nodes++
	}
	cfg.Blocks, cfg.BlockSize, cfg.Latency = 20, 4<<10, d
	cfg.Jitter = time.Duration(rng.IntN(3)) * d / 10
	cfg.Loss = []float64{0, 0, 0.01, 0.05}[rng.IntN(4)]
	cfg.Settle = 600 * d
	prefix := 40 * d
	byz := rng.Perm(n)[:f]
	for _, v := range byz {
		b := BFTBehaviours()[rng.IntN(len(BFTBehaviours()))]
		cfg.Faults = append(cfg.Faults, Fault{Kind: FaultByzantine, Nodes: []int{v}, Behaviour: b})
	}
	if rate := []float64{0, 0.02, 0.05}[rng.IntN(3)]; rate > 0 {
		var correct []int
		for v := range n {
			if !slices.Contains(byz, v) {
				correct = append(correct, v)
			}
		}
		cfg.Faults = append(cfg.Faults, Fault{Kind: FaultCrashPoint, From: 0, To: prefix, Nodes: correct, Rate: rate})
	}
	for range rng.IntN(3) {
		from := time.Duration(rng.Int64N(int64(prefix))).Truncate(time.Millisecond)
		to := min(prefix, from+time.Duration(rng.Int64N(int64(20*d))).Truncate(time.Millisecond)+time.Millisecond)
		perm := rng.Perm(cfg.Nodes)
		k := 1 + rng.IntN(cfg.Nodes-1)
		cfg.Faults = append(cfg.Faults, Fault{Kind: FaultPartition, From: from, To: to, Groups: [][]int{sorted(perm[:k]), sorted(perm[k:])}})
	}
	return cfg
}

func sorted(s []int) []int {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestBFTSimSweep runs adversarial --mode bft seeds through the whole
// simulator (blocksync, forkdb, crashes of whole nodes): 0 safety,
// ancestry, double-sign and persist-before-send violations, no correct node
// penalized, and every correct node finalizes ≥ 10 blocks after the
// prefix. The 500-seed CI sweep of the engine itself is consensus/bft's
// TestSweep; this one is small in make test. BFT_SIM_SEEDS=k runs k seeds
// (make sweep-bft), BFT_SIM_SEED=s replays one.
func TestBFTSimSweep(t *testing.T) {
	seeds, first := uint64(12), uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("BFT_SIM_SEEDS"), 10, 64); err == nil {
		seeds = v
	}
	if v, err := strconv.ParseUint(os.Getenv("BFT_SIM_SEED"), 10, 64); err == nil {
		first, seeds = v, 1
	}
	if testing.Short() {
		seeds = min(seeds, 4)
	}
	const groups = 2
	for g := range uint64(groups) {
		t.Run(fmt.Sprint(g), func(t *testing.T) {
			t.Parallel()
			for seed := first + g; seed < first+seeds; seed += groups {
				cfg := bftSweepConfig(seed)
				res, err := Run(cfg)
				if err != nil || res.CorrectRejections > 0 || res.BFT.FinalizedAfterPrefixMin < recoveryBlocks {
					t.Errorf("seed %d: %v\n%s\nreplay: BFT_SIM_SEED=%d go test ./sim -run TestBFTSimSweep -v", seed, err, res.Summary(), seed)
				}
			}
		})
	}
}

func TestBFTSweepConfigsAreValid(t *testing.T) {
	for seed := uint64(1); seed <= 500; seed++ {
		if err := bftSweepConfig(seed).Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// TestBFTSimSeed581 replays the sweep seed that stalled the fast path: a
// double-voter signed two nullify reports of one view and correct producers
// kept whichever they heard first, and retries never relayed the reports of
// views below their bound, so producers disagreed for ever on which views
// were held and refused each other's leaders' parents (2 of 20 blocks
// final). Fails before the evidence union and its relay (reports.go).
func TestBFTSimSeed581(t *testing.T) {
	res, err := Run(bftSweepConfig(581))
	require.NoError(t, err, res.Summary())
	require.Zero(t, res.CorrectRejections)
	require.GreaterOrEqual(t, uint64(res.BFT.FinalizedAfterPrefixMin), uint64(recoveryBlocks), res.Summary())
}
