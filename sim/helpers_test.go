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
