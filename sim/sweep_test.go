package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestSeedSweep runs about a hundred small networks, each with faults drawn
// from its seed, and checks the invariants that must hold whatever the
// faults: no two correct nodes finalize different blocks at one height, and
// no correct node ever rejects a correct node's block. Liveness (every
// invariant Run checks) is asserted when the correct nodes running at the
// end still form a connected graph: a crashed or byzantine node in the
// middle of a line legitimately cuts it in two. A failure prints the
// command that replays it.
func TestSeedSweep(t *testing.T) {
	seeds := 100
	if testing.Short() {
		seeds = 20
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		cfg := sweepConfig(seed)
		res, err := Run(cfg)
		live := correctStayConnected(t, cfg)
		if res.SafetyViolations > 0 || res.CorrectRejections > 0 || (live && err != nil) {
			t.Errorf("seed %d (liveness asserted: %v): %v\n%s\nreplay: %s", seed, live, err, res.Summary(), cfg.Command())
		}
	}
}

// sweepConfig draws a small network and its faults from seed, with a
// random source of its own (the run's source is seeded by cfg.Seed).
func sweepConfig(seed uint64) Config {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	cfg := DefaultConfig()
	cfg.Seed = seed
	cfg.Nodes = 6 + rng.IntN(11)
	cfg.Topology = []string{TopologyLine, TopologyRing, TopologyStar, TopologyFull, TopologyRandom, TopologyRandom}[rng.IntN(6)]
	cfg.Degree = 2 + 2*rng.IntN(2)
	cfg.Blocks = 20 + rng.IntN(25)
	cfg.BlockSize = 1024 << rng.IntN(9)
	cfg.Window = []int{0, 16 << 10, 256 << 10, 1 << 20}[rng.IntN(4)]
	cfg.Interval = time.Duration(50+rng.IntN(100)) * time.Millisecond
	cfg.Jitter = time.Duration(rng.IntN(3)) * time.Millisecond
	cfg.Loss = float64(rng.IntN(3)) / 100
	cfg.Dup = float64(rng.IntN(3)) / 100
	cfg.Reorder = float64(rng.IntN(3)) / 20
	cfg.Relay = []string{RelayTree, RelayFlood}[rng.IntN(4)/3]
	cfg.Settle = 10 * time.Second
	if rng.IntN(2) == 0 {
		cfg.Mode, cfg.Producers, cfg.TermBlocks = ModeRotate, 1+rng.IntN(4), 1+rng.IntN(4)
	}
	span := time.Duration(cfg.Blocks) * cfg.Interval
	for range rng.IntN(4) {
		cfg.Faults = append(cfg.Faults, randomFault(rng, cfg, span))
	}
	return cfg
}

func randomFault(rng *rand.Rand, cfg Config, span time.Duration) Fault {
	from := time.Duration(rng.Int64N(int64(span))).Truncate(time.Millisecond)
	to := from + time.Duration(rng.Int64N(int64(span/2))+1).Truncate(time.Millisecond) + time.Millisecond
	n := 1 + rng.IntN(cfg.Nodes-1) // never node 0, the solo producer
	split := 1 + rng.IntN(cfg.Nodes-1)
	lo, hi := nodeRange(0, split-1), nodeRange(split, cfg.Nodes-1)
	switch rng.IntN(5) {
	case 0:
		return Fault{Kind: FaultPartition, From: from, To: to, Groups: [][]int{lo, hi}}
	case 1:
		return Fault{Kind: FaultOneWay, From: from, To: to, Groups: [][]int{hi, lo}}
	case 2:
		return Fault{Kind: FaultCrash, From: from, Nodes: []int{n}}
	case 3:
		return Fault{Kind: FaultRestart, From: to, Nodes: []int{n}}
	}
	b := Behaviours()[rng.IntN(len(Behaviours()))]
	if b == ByzEquivocate && cfg.Mode != ModeRotate {
		b = ByzWithhold
	}
	return Fault{Kind: FaultByzantine, Nodes: []int{n}, Behaviour: b}
}

func nodeRange(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

func TestSweepConfigsAreValid(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		if err := sweepConfig(seed).Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, fmt.Sprint(err))
		}
	}
}

// correctStayConnected reports whether the correct nodes that run at the end
// of cfg's schedule form a connected graph.
func correctStayConnected(t *testing.T, cfg Config) bool {
	t.Helper()
	e := newEngine(cfg.Seed)
	g, err := buildTopology(cfg, e.rng)
	if err != nil {
		t.Fatal(err)
	}
	ok := make([]bool, cfg.Nodes)
	for i := range ok {
		ok[i] = true
	}
	last := map[int]time.Duration{}
	for _, f := range cfg.Faults {
		for _, v := range f.Nodes {
			switch {
			case f.Kind == FaultByzantine:
				ok[v] = false
				last[v] = 1 << 62
			case f.Kind == FaultCrash && f.From >= last[v]:
				ok[v], last[v] = false, f.From
			case f.Kind == FaultRestart && f.From > last[v]:
				ok[v], last[v] = true, f.From
			}
		}
	}
	start := slices.Index(ok, true)
	seen := map[int]bool{start: true}
	stack := []int{start}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range g[v] {
			if ok[w] && !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	for v := range ok {
		if ok[v] && !seen[v] {
			return false
		}
	}
	return true
}
