package bft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func goodCase(n int, delta time.Duration) scenario {
	return scenario{seed: 1, n: n, delta: delta, prefix: 0, post: 100 * delta}
}

// runScenario runs sc and fails with the replay command on any violation.
func runScenario(t testing.TB, sc scenario, minFinal uint64) *checker {
	t.Helper()
	nt := newNet(t, sc)
	chk := nt.run()
	if minFinal > 0 {
		chk.liveness(minFinal)
	}
	if len(chk.violations) > 0 {
		t.Fatalf("%s\n%d violations:\n  %s\nreplay: go test -race -tags invariants ./consensus/bft/ -run 'TestReplay' -bft.replay '%s'",
			sc, len(chk.violations), join(chk.violations), sc.key())
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

func TestGoodCaseFinalizesInThreeDelta(t *testing.T) {
	for _, n := range []int{4, 7, 10} {
		for _, d := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 150 * time.Millisecond} {
			chk := runScenario(t, goodCase(n, d), 30)
			p50 := chk.p50Delta()
			t.Logf("n=%d δ=%v finality_p50_delta=%.2f finalized=%d", n, d, p50, len(chk.final))
			require.LessOrEqual(t, p50, 3.2)
		}
	}
}
