package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSameSeedSameTrace(t *testing.T) {
	cfg := small(t, "partition@1s-2s:0-5/6-11,crash@1500ms:3,restart@2500ms:3,byz@7:garbage")
	cfg.Jitter, cfg.Loss, cfg.Dup, cfg.Reorder = 2e6, 0.01, 0.01, 0.05
	a := run(t, cfg)
	b := run(t, cfg)
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, a.Events, b.Events)
	a.WallMs, b.WallMs, a.EventsPerSec, b.EventsPerSec = 0, 0, 0, 0
	require.Equal(t, a, b, "everything but wall time repeats")

	cfg.Seed++
	c := run(t, cfg)
	require.NotEqual(t, a.TraceHash, c.TraceHash, "another seed, another run")
}

// A --mode bft run with the whole adversarial catalogue at once (a
// forger, twins, crashpoints between persist and send, a partition, loss
// and jitter) repeats exactly from its seed: the byzantine actors and the
// crash points draw from the run's one source.
func TestBFTAdversarialSameSeedSameResult(t *testing.T) {
	cfg := smallBFT(t, 11, "byz@1:forge,byz@6:twin,crashpoint@0s-1s:0+2+3:0.1,partition@200ms-700ms:0-1/2-11")
	cfg.Nodes, cfg.Producers, cfg.Jitter, cfg.Loss = 14, 7, 1_000_000, 0.01
	a, b := run(t, cfg), run(t, cfg)
	a.WallMs, b.WallMs, a.EventsPerSec, b.EventsPerSec = 0, 0, 0, 0
	require.Equal(t, a, b, "everything but wall time repeats")
	require.Positive(t, a.BFT.CrashPoints)
	cfg.Seed++
	require.NotEqual(t, a.TraceHash, run(t, cfg).TraceHash)
}

func TestRunsShareNoState(t *testing.T) {
	// Two runs interleaved in goroutines must not disturb each other: a
	// runner owns everything it uses.
	cfg := small(t, "")
	want := run(t, cfg).TraceHash
	done := make(chan string, 2)
	for range 2 {
		go func() {
			res, _ := Run(cfg)
			done <- res.TraceHash
		}()
	}
	require.Equal(t, want, <-done)
	require.Equal(t, want, <-done)
}
