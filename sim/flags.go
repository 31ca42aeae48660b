package sim

import (
	"flag"
)

// RegisterFlags defines one flag per Config field on fs, named as Command
// prints them and defaulting to c's current values; fs.Parse then fills c.
// `blockwire sim` can use it so that every printed replay command parses
// back into the Config that produced it (--json belongs to the CLI).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the run's one random source")
	fs.IntVar(&c.Nodes, "nodes", c.Nodes, "number of nodes")
	fs.StringVar(&c.Topology, "topology", c.Topology, "line, ring, star, full or random")
	fs.IntVar(&c.Degree, "degree", c.Degree, "neighbours per node (random topology)")
	fs.IntVar(&c.Blocks, "blocks", c.Blocks, "blocks to produce")
	fs.IntVar(&c.BlockSize, "block-size", c.BlockSize, "block size on the wire, bytes")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "time between blocks")
	fs.DurationVar(&c.Latency, "latency", c.Latency, "one-way link latency")
	fs.DurationVar(&c.Jitter, "jitter", c.Jitter, "standard deviation of the latency")
	fs.Int64Var(&c.Bandwidth, "bandwidth", c.Bandwidth, "bits per second per link direction, 0 = unlimited")
	fs.Var((*rateFlag)(&c.Uplink), "uplink", "each node's egress rate shared by its links, bits/s or 100mbit (0 = off: per-link bandwidth only)")
	fs.Float64Var(&c.Loss, "loss", c.Loss, "probability a message is lost once (retransmitted)")
	fs.Float64Var(&c.Dup, "dup", c.Dup, "probability a message is duplicated on the wire")
	fs.Float64Var(&c.Reorder, "reorder", c.Reorder, "probability a control message is held back")
	fs.IntVar(&c.Producers, "producers", c.Producers, "producers (rotate and bft modes)")
	fs.StringVar(&c.Mode, "mode", c.Mode, "solo, rotate or bft")
	fs.IntVar(&c.TermBlocks, "term-blocks", c.TermBlocks, "slots per term (rotate mode)")
	fs.Var((*faultsFlag)(&c.Faults), "faults", "faults, e.g. 'partition@2s-5s:0-24/25-49,crash@3s:7,restart@6s:7,byz@3:withhold'")
	fs.StringVar(&c.Relay, "relay", c.Relay, "tree or flood")
	fs.IntVar(&c.Window, "window", c.Window, "blocksync receive window, bytes (0 = default)")
	fs.IntVar(&c.Chunk, "chunk", c.Chunk, "block serialization chunk, bytes")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "how long to let the network converge after the last block and fault")
	fs.IntVar(&c.CatchUpNode, "catchup-node", c.CatchUpNode, "node that joins late and is measured catching up (-1 = none)")
	fs.DurationVar(&c.CatchUpAt, "catchup-at", c.CatchUpAt, "when --catchup-node joins")
}

// faultsFlag parses --faults with ParseFaults.
type faultsFlag []Fault

func (f *faultsFlag) String() string {
	if f == nil {
		return ""
	}
	return FormatFaults(*f)
}

func (f *faultsFlag) Set(s string) error {
	fs, err := ParseFaults(s)
	if err != nil {
		return err
	}
	*f = fs
	return nil
}
