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
