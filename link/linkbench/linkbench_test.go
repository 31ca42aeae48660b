package linkbench_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link/linkbench"
)

// TestRunSmall checks the harness end to end on small sizes; it asserts the
// shape of the result, never a timing.
func TestRunSmall(t *testing.T) {
	for _, tr := range []string{"tcp", "quic"} {
		t.Run(tr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r, err := linkbench.Run(ctx, linkbench.Options{Transport: tr, BlockSize: 1 << 20, Pings: 50, Rounds: 1})
			require.NoError(t, err)
			require.Equal(t, tr, r.Transport)
			require.Positive(t, r.IdleP99us)
			require.Positive(t, r.LoadedP99us)
			require.Positive(t, r.LaneMiBps)
			require.Positive(t, r.RawStreamMiBps)
			require.Positive(t, r.BlocksDuringRTT)
			require.GreaterOrEqual(t, r.LoadedFloodMiBps, 0.0)
			for name, v := range map[string]float64{
				"BareIdleP50us": r.BareIdleP50us, "BareIdleP99us": r.BareIdleP99us,
				"BareSharedP50us": r.BareSharedP50us, "BareSharedP99us": r.BareSharedP99us,
				"BareSharedHOLRatio": r.BareSharedHOLRatio, "FloorIdleP99us": r.FloorIdleP99us,
				"FloorP50us": r.FloorP50us, "FloorP99us": r.FloorP99us,
				"FloorHOLRatio": r.FloorHOLRatio,
			} {
				require.Positive(t, v, name)
			}
			// Over a run this short the pings can starve the flood of CPU
			// for their whole duration (2 cores), so its rate may be 0.
			require.GreaterOrEqual(t, r.FloorFloodMiBps, 0.0)
			require.InDelta(t, r.BareSharedP99us/r.BareIdleP99us, r.BareSharedHOLRatio, 1e-9)
			require.InDelta(t, r.FloorP99us/r.FloorIdleP99us, r.FloorHOLRatio, 1e-9)
			require.InDelta(t, r.LoadedP99us/r.FloorP99us, r.LaneFloorRatio, 1e-9)
			require.Equal(t, 1, r.Processes)
			b, err := json.Marshal(r)
			require.NoError(t, err)
			for _, k := range []string{"transport", "idle_p50_us", "idle_p99_us", "loaded_p50_us", "loaded_p99_us", "hol_ratio", "lane_mibps", "raw_stream_mibps", "throughput_ratio",
				"bare_idle_p50_us", "bare_idle_p99_us", "bare_shared_p50_us", "bare_shared_p99_us", "bare_shared_hol_ratio",
				"floor_idle_p99_us", "floor_p50_us", "floor_p99_us", "floor_hol_ratio", "floor_flood_mibps", "lane_floor_ratio", "processes", "loaded_flood_mibps"} {
				require.Contains(t, string(b), `"`+k+`"`)
			}
		})
	}
	t.Run("no-reference", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		r, err := linkbench.Run(ctx, linkbench.Options{BlockSize: 1 << 20, Pings: 20, Rounds: 1, NoReference: true})
		require.NoError(t, err)
		require.Positive(t, r.LoadedP99us)
		require.Zero(t, r.BareIdleP99us)
		require.Zero(t, r.BareSharedHOLRatio)
		require.Zero(t, r.FloorP99us)
		require.Zero(t, r.FloorHOLRatio)
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := linkbench.Run(ctx, linkbench.Options{BlockSize: 1 << 20, Pings: 20, Rounds: 1})
		require.Error(t, err)
	})
	_, err := linkbench.Run(context.Background(), linkbench.Options{Transport: "udp"})
	require.Error(t, err)
}

// TestRunAgainstAResponder runs the measuring side against Responders it
// reaches only by address, as the two-process mode does (there they live
// in another process, in another network namespace).
func TestRunAgainstAResponder(t *testing.T) {
	o := linkbench.Options{Transport: "tcp", BlockSize: 1 << 20, Pings: 50, Rounds: 1}
	pr, err := linkbench.NewResponder(o, "/ip4/127.0.0.1/tcp/0")
	require.NoError(t, err)
	defer func() { require.NoError(t, pr.Close()) }()
	fr, err := linkbench.NewResponder(o, "/ip4/127.0.0.1/tcp/0")
	require.NoError(t, err)
	defer func() { require.NoError(t, fr.Close()) }()
	o.Peer, o.FloorPeer = pr.Addr(), fr.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := linkbench.Run(ctx, o)
	require.NoError(t, err)
	require.Equal(t, 2, r.Processes)
	require.Positive(t, r.LaneFloorRatio)
	require.Positive(t, r.ThroughputRatio)
	_, err = linkbench.Run(ctx, linkbench.Options{Peer: "not-an-address", BlockSize: 1 << 20})
	require.Error(t, err)
}

// BenchmarkLink is the `go test -bench` twin of `blockwire bench link`:
// one full Run per transport per iteration, figures as custom metrics.
func BenchmarkLink(b *testing.B) {
	for _, tr := range []string{"tcp", "quic"} {
		b.Run(tr, func(b *testing.B) {
			for b.Loop() {
				r, err := linkbench.Run(context.Background(), linkbench.Options{Transport: tr})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.IdleP99us, "idle_p99_us")
				b.ReportMetric(r.LoadedP99us, "loaded_p99_us")
				b.ReportMetric(r.HOLRatio, "hol_ratio")
				b.ReportMetric(r.LaneMiBps, "lane_MiB/s")
				b.ReportMetric(r.RawStreamMiBps, "raw_MiB/s")
				b.ReportMetric(r.ThroughputRatio, "throughput_ratio")
				b.ReportMetric(r.BareSharedHOLRatio, "bare_shared_hol_ratio")
				b.ReportMetric(r.FloorHOLRatio, "floor_hol_ratio")
				out, _ := json.Marshal(r)
				b.Log(string(out))
			}
		})
	}
}
