package linkbench

import (
	"context"
	"testing"
)

// BenchmarkPhase runs one phase of Run on its own, for `go test -trace`
// and profiles of just that phase (issue 14: where a QUIC vote waits
// while blocks flow):
//
//	go test ./link/linkbench/ -run '^$' -bench 'Phase/quic/loaded' -benchtime 1x -trace /tmp/loaded.trace
//	go tool trace -pprof=sched /tmp/loaded.trace > sched.pprof
//
// loaded is the link's consensus round trip during a blocks-lane flood;
// floor is bare-stream pings on a second pair while the first pair's
// bare stream floods (Run's floor phase). Setup (hosts, connections, a
// flood's warm-up) is outside the timer but inside a trace.
func BenchmarkPhase(b *testing.B) {
	for _, tr := range []string{"tcp", "quic"} {
		o := Options{Transport: tr}
		if err := o.defaults(); err != nil {
			b.Fatal(err)
		}
		block := make([]byte, o.BlockSize)
		b.Run(tr+"/loaded", func(b *testing.B) {
			ctx := context.Background()
			p, err := newPair(ctx, o, "")
			if err != nil {
				b.Fatal(err)
			}
			defer p.close()
			for b.Loop() {
				rt, _, mibps, err := p.loaded(ctx, o, block)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(pct(rt, 50), "p50_us")
				b.ReportMetric(pct(rt, 99), "p99_us")
				b.ReportMetric(mibps, "flood_MiB/s")
			}
		})
		b.Run(tr+"/floor", func(b *testing.B) {
			ctx := context.Background()
			p, err := newPair(ctx, o, "")
			if err != nil {
				b.Fatal(err)
			}
			defer p.close()
			q, err := newPair(ctx, o, "")
			if err != nil {
				b.Fatal(err)
			}
			defer q.close()
			for b.Loop() {
				rt, mibps, err := q.barePings(ctx, o, p, block)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(pct(rt, 50), "p50_us")
				b.ReportMetric(pct(rt, 99), "p99_us")
				b.ReportMetric(mibps, "flood_MiB/s")
			}
		})
	}
}
