package sim

import (
	"testing"
	"time"
)

// The acceptance figures of issue 3, as benchmarks (run them with
// `go test ./sim -run '^$' -bench . -benchtime 1x`; figures in
// docs/benchmarks.md). Each reports the run's own measurements, not ns/op.

// acceptance is the gossipsub anchor's setup: 50 nodes on a random graph of
// degree 8, 1 MiB blocks every 500 ms, 10 ms links at 100 Mbit/s.
func acceptance(relay string) Config {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Degree, cfg.Blocks = 50, 8, 100
	cfg.BlockSize, cfg.Interval = 1<<20, 500*time.Millisecond
	cfg.Relay = relay
	return cfg
}

func benchRun(b *testing.B, cfg Config) Result {
	b.Helper()
	var res Result
	for b.Loop() {
		var err error
		res, err = Run(cfg)
		if err != nil {
			b.Fatalf("%v\n%s", err, res.Summary())
		}
	}
	b.ReportMetric(res.WallMs, "wall_ms")
	b.ReportMetric(res.EventsPerSec, "events/s")
	b.Log("\n" + res.Summary())
	return res
}

func BenchmarkRelayTree(b *testing.B) {
	res := benchRun(b, acceptance(RelayTree))
	b.ReportMetric(res.CopiesPerNode, "copies/node")
	b.ReportMetric(res.DisseminationP100Ms/res.IdealDisseminationMs, "p100/ideal")
}

func BenchmarkRelayFlood(b *testing.B) {
	res := benchRun(b, acceptance(RelayFlood))
	b.ReportMetric(res.CopiesPerNode, "copies/node")
	b.ReportMetric(res.DisseminationP100Ms/res.IdealDisseminationMs, "p100/ideal")
}

// BenchmarkCatchUp10k joins a node 10,000 blocks behind a peer whose blocks
// are all still reversible (two of three rotating producers are down, so
// nothing gets a majority), the case where the locator must walk far.
func BenchmarkCatchUp10k(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Topology, cfg.Mode, cfg.Producers, cfg.TermBlocks = 4, TopologyStar, ModeRotate, 3, 1
	cfg.Blocks, cfg.BlockSize, cfg.Interval = 30000, 64<<10, time.Millisecond/3
	cfg.CatchUpNode, cfg.CatchUpAt = 3, 10*time.Second+time.Millisecond/2
	cfg.Faults, _ = ParseFaults("crash@0s:1-2")
	cfg.Settle = 10 * time.Minute
	res := benchRun(b, cfg)
	b.ReportMetric(float64(res.HellosPerSync), "hellos/sync")
	b.ReportMetric(res.CatchUpUtilization, "link_utilization")
}

// BenchmarkCatchUp10kSolo is the same with a solo producer, whose blocks are
// final as produced.
func BenchmarkCatchUp10kSolo(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Topology = 2, TopologyLine
	cfg.Blocks, cfg.BlockSize, cfg.Interval = 10000, 64<<10, time.Millisecond
	cfg.CatchUpNode, cfg.CatchUpAt = 1, 10*time.Second+time.Millisecond/2
	cfg.Settle = 10 * time.Minute
	res := benchRun(b, cfg)
	b.ReportMetric(float64(res.HellosPerSync), "hellos/sync")
	b.ReportMetric(res.CatchUpUtilization, "link_utilization")
}

// BenchmarkScale200x1000 is 200 nodes of degree 8 and 1,000 blocks of
// 64 KiB every 100 ms.
func BenchmarkScale200x1000(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Degree, cfg.Blocks = 200, 8, 1000
	benchRun(b, cfg)
}
