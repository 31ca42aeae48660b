// Package cftbench measures the cft engine over real libp2p on loopback
// (TCP, TLS, yamux) with synced pebble stores: blocks per second at a block
// interval, produce → irreversible latency on every producer, and leader
// failover time (leader crashed → next block committed on a survivor).
// Run is what `blockwire bench cft --json` prints; BenchmarkCFT is its
// go test -bench twin. The block pipeline is a stand-in (headers in a map),
// since what is measured is consensus. See docs/benchmarks.md at the repository root.
package cftbench
