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
			b, err := json.Marshal(r)
			require.NoError(t, err)
			for _, k := range []string{"transport", "idle_p50_us", "idle_p99_us", "loaded_p50_us", "loaded_p99_us", "hol_ratio", "lane_mibps", "raw_stream_mibps", "throughput_ratio"} {
				require.Contains(t, string(b), `"`+k+`"`)
			}
		})
	}
	_, err := linkbench.Run(context.Background(), linkbench.Options{Transport: "udp"})
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
				out, _ := json.Marshal(r)
				b.Log(string(out))
			}
		})
	}
}
