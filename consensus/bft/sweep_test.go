package bft

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// runScenario runs sc and fails with the replay command on any violation.
func runScenario(t testing.TB, sc scenario, minFinal uint64, m *memo) *checker {
	t.Helper()
	nt := newNet(t, sc, m)
	nt.stopAfter = minFinal
	chk := nt.run()
	if minFinal > 0 {
		chk.liveness(minFinal)
	}
	if len(chk.violations) > 0 {
		t.Fatalf("%s\n%d violations:\n  %s\nreplay: BFT_SEED=%d go test -race -tags invariants ./consensus/bft/ -run TestSweep -v",
			sc, len(chk.violations), join(chk.violations), sc.seed)
	}
	return chk
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "\n  "
		}
		out += s
	}
	return out
}

// sweepScenario derives a whole adversarial scenario from one seed: n ∈
// {4, 7, 10} (4 in 5 of 8 seeds: it is cheapest and has the most byzantine
// weight), f = ⌊(n−1)/3⌋ byzantine signers drawn from the catalogue or run
// as twins, crash-restarts at persist/send boundaries, loss, partitions,
// jitter, δ ∈ {10, 50, 150} ms, sometimes a joint producer set. Faults stop
// after the prefix; the byzantine signers go on to the end.
func sweepScenario(seed uint64) scenario {
	r := rand.New(rand.NewPCG(seed, 0xb47))
	n := []int{4, 4, 4, 4, 4, 7, 7, 10}[r.IntN(8)]
	d := []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 150 * time.Millisecond}[r.IntN(3)]
	sc := scenario{seed: seed, n: n, delta: d, byz: map[int]actorKind{},
		jitter: time.Duration(r.IntN(3)) * d / 4,
		loss:   []float64{0, 0, 0.02, 0.1}[r.IntN(4)],
		crash:  []float64{0, 0.01, 0.05}[r.IntN(3)],
		joint:  r.IntN(8) == 0,
		prefix: 20 * d}
	sc.post = 10 * (6*d + 3*sc.jitter + 3*d)
	f := (n - 1) / 3
	lo := 0
	if sc.joint {
		lo = 1 // byzantine signers are members of both sets
	}
	for _, s := range r.Perm(n - lo)[:f] {
		s += lo
		if r.IntN(7) == 0 {
			sc.twins = append(sc.twins, s)
		} else {
			sc.byz[s] = byzKinds[r.IntN(len(byzKinds))]
		}
	}
	for range r.IntN(3) {
		from := time.Duration(r.Int64N(int64(sc.prefix)))
		to := min(sc.prefix, from+time.Duration(r.Int64N(int64(20*d))))
		sc.parts = append(sc.parts, partition{from: from, to: to, side: r.Uint64()})
	}
	return sc
}

// TestSweep is the seed sweep: every scenario must show no safety,
// ancestry or double-sign violation and no penalized correct peer, and every
// correct node must finalize at least 10 blocks after the faults stop.
// BFT_SEED=s replays one seed; BFT_SEEDS=k runs k seeds (offline: 10000).
func TestSweep(t *testing.T) {
	seeds := uint64(500)
	first := uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("BFT_SEEDS"), 10, 64); err == nil {
		seeds = v
	}
	if v, err := strconv.ParseUint(os.Getenv("BFT_SEED"), 10, 64); err == nil {
		first, seeds = v, 1
	}
	if testing.Short() {
		seeds = min(seeds, 50)
	}
	// Four parallel groups (each with its own signature cache) use both
	// cores when the machine has them; seeds are independent.
	const groups = 4
	for g := range uint64(groups) {
		t.Run(strconv.FormatUint(g, 10), func(t *testing.T) {
			if seeds > 1 {
				t.Parallel()
			}
			m := newMemo()
			for seed := first + g; seed < first+seeds; seed += groups {
				if len(m.verified)+len(m.signed) > 1<<16 { // bounded: a big map costs the race detector more than it saves
					m = newMemo()
				}
				sc := sweepScenario(seed)
				chk := runScenario(t, sc, 10, m)
				if seeds == 1 {
					t.Logf("%s: final height %d, %d crashes, p50 %.2fδ", sc, len(chk.final), chk.crashes, chk.p50Delta())
				}
			}
		})
	}
}
