package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// small is a quick configuration for scenario tests: 12 nodes of degree 4,
// 16 KiB blocks every 100 ms.
func small(t *testing.T, faults string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Degree, cfg.Blocks, cfg.BlockSize = 12, 4, 40, 16<<10
	cfg.Settle = 20 * time.Second
	fs, err := ParseFaults(faults)
	require.NoError(t, err)
	cfg.Faults = fs
	return cfg
}

// run runs cfg and fails the test, with the replay command, if any
// invariant failed.
func run(t *testing.T, cfg Config) Result {
	t.Helper()
	res, err := Run(cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Summary())
	}
	require.Zero(t, res.SafetyViolations)
	require.Zero(t, res.CorrectRejections)
	require.True(t, res.HeadsAgree)
	return res
}

// simulate runs cfg and returns the runner too, for tests that inspect the
// nodes afterwards.
func simulate(t *testing.T, cfg Config) (*runner, Result) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	r, err := newRunner(cfg)
	require.NoError(t, err)
	r.schedule()
	r.loop()
	res := r.result()
	require.Zero(t, res.SafetyViolations, res.Summary())
	require.Zero(t, res.CorrectRejections, res.Summary())
	return r, res
}

// requireOnlyValidBlocks checks that no correct node holds a block that
// fails block.Check (forged signatures) or that nobody produced.
func requireOnlyValidBlocks(t *testing.T, r *runner) {
	t.Helper()
	for _, n := range r.nodes {
		if !n.up || !n.correct() {
			continue
		}
		for id, b := range n.store.blocks {
			require.NoError(t, b.Check(), "node %d holds %s", n.id, id)
			_, produced := r.m.index[id]
			require.True(t, produced || id == r.genesis.ID() || isTwin(r, id), "node %d holds %s, which no producer made", n.id, id)
		}
	}
}

// isTwin reports whether id is the second block an equivocating producer
// signed for one of its slots.
func isTwin(r *runner, id [32]byte) bool {
	for _, n := range r.nodes {
		for _, twin := range n.twins {
			if twin.ID() == id {
				return true
			}
		}
	}
	return false
}
