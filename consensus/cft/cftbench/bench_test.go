package cftbench

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLibp2pCluster is the integration test over real libp2p on loopback: 3
// producers with synced pebble stores, a steady window, and two leader
// crashes with restarts from the pebble directory. It asserts agreement and
// progress, never timing.
func TestLibp2pCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("real network and disk")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, Options{Producers: 3, Interval: 20 * time.Millisecond, Duration: time.Second,
		Failovers: 2, Dir: t.TempDir()})
	require.NoError(t, err)
	require.Zero(t, res.Violations)
	require.Positive(t, res.Blocks)
	require.Len(t, res.FailoverRuns, 2)
	out, _ := json.Marshal(res)
	t.Logf("%s", out)
}

// BenchmarkCFT is the go test -bench twin of `blockwire bench cft`: one Run
// per iteration, figures reported as metrics.
func BenchmarkCFT(b *testing.B) {
	for b.Loop() {
		res, err := Run(context.Background(), Options{Dir: b.TempDir()})
		require.NoError(b, err)
		b.ReportMetric(res.BlocksPerS, "blocks/s")
		b.ReportMetric(res.CommitP50MS, "commit-p50-ms")
		b.ReportMetric(res.CommitP99MS, "commit-p99-ms")
		b.ReportMetric(res.FailoverMS, "failover-ms")
	}
}
