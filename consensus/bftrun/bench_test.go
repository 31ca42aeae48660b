package bftrun

import (
	"testing"
	"time"
)

// BenchmarkCluster4 measures the driver's cost per finalized block on this
// machine: four Runners in one process on a MemNetwork with zero latency
// and real time, each syncing its records to bftstore on pebble (an
// in-memory file system: the fsync is free, the batch and the ed25519 work
// are not). It reports blocks/s at node 0.
func BenchmarkCluster4(b *testing.B) {
	c := newCluster(b, 4, 4, 42)
	c.net.SetLatency(0)
	start := time.Now()
	base := c.finalHeight(0)
	b.ResetTimer()
	for c.finalHeight(0) < base+uint64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "blocks/s")
}
