package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func runAttest(t *testing.T, cfg AttestConfig) AttestResult {
	t.Helper()
	res, err := RunAttest(cfg)
	require.NoError(t, err, "%s", res.Summary())
	return res
}

// The acceptance run: 12 verifiers, 4 unresponsive, 100 blocks,
// with the default late, slow, duplicate and wrong-block verifiers, loss
// and a requester crash.
func TestAttestAcceptance(t *testing.T) {
	cfg := DefaultAttestConfig()
	cfg.Unresponsive = 4
	res := runAttest(t, cfg)
	t.Log(res.Summary())
	require.Equal(t, 1.0, res.AttestedRatio)
	require.Zero(t, res.UnderAttested)
	require.Positive(t, res.ExcessRefused, "late answers met completed levels")
	require.Equal(t, 1, res.Crashes)
}

// The same config gives the same trace hash and figures (pebble runs
// goroutines, but the scheduler only reads back what it synced).
func TestAttestDeterministic(t *testing.T) {
	cfg := DefaultAttestConfig()
	cfg.Blocks, cfg.Unresponsive, cfg.Loss = 15, 2, 0.05
	a, b := runAttest(t, cfg), runAttest(t, cfg)
	require.Equal(t, a, b)
	cfg.Seed = 2
	c := runAttest(t, cfg)
	require.NotEqual(t, a.TraceHash, c.TraceHash)
}

// With every verifier honest, no loss and no crash, each block costs
// exactly the required requests (3+1+1+1) and nothing is refused.
func TestAttestHonestBaseline(t *testing.T) {
	cfg := DefaultAttestConfig()
	cfg.WrongBlock, cfg.Late, cfg.Slow, cfg.Duplicate, cfg.Loss, cfg.Crashes = 0, 0, 0, 0, 0, 0
	cfg.Blocks = 50
	res := runAttest(t, cfg)
	require.Equal(t, 1.0, res.AttestedRatio)
	require.Equal(t, 6.0, res.RequestsPerBlock)
	require.Zero(t, res.Replacements)
	require.Zero(t, res.RepeatRequests)
	require.Empty(t, res.Refused)
	require.Less(t, res.AttestP99Ms, 4*100.0+1, "four levels, one round trip each (latency ≤ 50 ms)")
}

// Too few responsive verifiers at a level: blocks stall with a reason
// (bounded retries), nothing is finalized under-attested, and the run is
// not a failure (liveness is not owed).
func TestAttestTooFewResponsiveStalls(t *testing.T) {
	cfg := DefaultAttestConfig()
	cfg.Verifiers, cfg.Unresponsive = 6, 1
	cfg.WrongBlock, cfg.Late, cfg.Slow, cfg.Duplicate, cfg.Crashes = 0, 0, 0, 0, 0
	cfg.Blocks, cfg.MaxRounds = 10, 2
	cfg.Levels = "L2=3,L3=1"
	cfg.Verifiers = 4 // 3 at L2 (one unresponsive), 1 at L3
	res := runAttest(t, cfg)
	require.False(t, res.EnoughResponsive)
	require.Zero(t, res.AttestedRatio)
	require.Equal(t, 10, res.Stalled)
	require.Zero(t, res.UnderAttested)
}

// Requester crash-restarts: in-flight requests are re-sent at once and no
// verifier is asked twice without cause.
func TestAttestCrashRestarts(t *testing.T) {
	cfg := DefaultAttestConfig()
	cfg.Crashes, cfg.Blocks, cfg.Loss = 3, 60, 0
	res := runAttest(t, cfg)
	require.Equal(t, 3, res.Crashes)
	require.Positive(t, res.ResentAfterRestart)
	require.Zero(t, res.UnexplainedRepeats)
	require.Equal(t, 1.0, res.AttestedRatio)
}

func TestAttestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultAttestConfig().Validate())
	for i, f := range []func(c *AttestConfig){
		func(c *AttestConfig) { c.Verifiers = 5 },
		func(c *AttestConfig) { c.Levels = "L2" },
		func(c *AttestConfig) { c.Unresponsive = 9 },
		func(c *AttestConfig) { c.Loss = 1 },
		func(c *AttestConfig) { c.LatencyMax = time.Second },
		func(c *AttestConfig) { c.Blocks = 0 },
	} {
		c := DefaultAttestConfig()
		f(&c)
		require.Error(t, c.Validate(), "case %d", i)
	}
}

// TestAttestSeedSweep draws small attestation networks from seeds (verifier
// counts, every faulty kind, loss, crashes, levels) and checks the
// invariants: no block finalized under- or over-attested, nobody asked
// twice without cause, no correct node penalized, and attested ratio 1
// whenever every level has enough responsive verifiers. A failure prints
// the command that replays it.
func TestAttestSeedSweep(t *testing.T) {
	seeds := 25
	if testing.Short() {
		seeds = 8
	}
	live, excess := 0, 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		cfg := attestSweepConfig(seed)
		res, err := RunAttest(cfg)
		if err != nil {
			t.Errorf("seed %d: %v\n%s", seed, err, res.Summary())
		}
		if res.EnoughResponsive {
			live++
		}
		if res.ExcessRefused > 0 {
			excess++
		}
	}
	t.Logf("%d of %d seeds had enough responsive verifiers (liveness asserted); %d saw excess receipts", live, seeds, excess)
	require.Greater(t, live, seeds/2, "the sweep must mostly assert liveness")
}

func attestSweepConfig(seed uint64) AttestConfig {
	rng := rand.New(rand.NewPCG(seed, 0xa77e57))
	cfg := DefaultAttestConfig()
	cfg.Seed = seed
	cfg.Levels = []string{"L2=3,L3=1,L4=1,L5=1", "L2=1", "L2=2,L3=2", "L2=3,L3=1"}[rng.IntN(4)]
	cfg.Verifiers = 6 + rng.IntN(12)
	cfg.Operators = 1 + rng.IntN(5)
	budget := cfg.Verifiers - 6
	draw := func() int {
		n := rng.IntN(3)
		n = min(n, budget)
		budget -= n
		return n
	}
	cfg.Unresponsive, cfg.WrongBlock, cfg.Late, cfg.Slow, cfg.Duplicate = draw(), draw(), draw(), draw(), draw()
	cfg.Blocks = 15 + rng.IntN(16)
	cfg.Loss = float64(rng.IntN(6)) / 100
	cfg.Crashes, cfg.Downtime = rng.IntN(3), time.Duration(100+rng.IntN(500))*time.Millisecond
	cfg.Deadline = time.Duration(500+rng.IntN(2000)) * time.Millisecond
	return cfg
}
