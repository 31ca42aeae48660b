package sim

import (
	"fmt"
	"time"
)

// Topology names accepted in Config.Topology.
const (
	TopologyLine   = "line"
	TopologyRing   = "ring"
	TopologyStar   = "star"
	TopologyFull   = "full"
	TopologyRandom = "random"
)

// Producer modes accepted in Config.Mode.
const (
	// ModeSolo has one producer (node 0); each block is irreversible as soon
	// as it is produced.
	ModeSolo = "solo"
	// ModeRotate lets Config.Producers producers take turns by term; an
	// oracle finalizes a block once a majority of producers have it on their
	// best chain.
	ModeRotate = "rotate"
	// ModeBFT runs one pure consensus/bft engine per producer: leaders
	// propose when their engine asks, votes travel on consensus links
	// between producers, and blocks are final by finalization certificate.
	ModeBFT = "bft"
)

// Relay strategies accepted in Config.Relay.
const (
	// RelayTree lets blocksync prune links to backup so that bodies follow a
	// spanning tree per producer.
	RelayTree = "tree"
	// RelayFlood keeps every link active and never prunes: the baseline that
	// copies_per_node is measured against.
	RelayFlood = "flood"
)

// maxNodes bounds Config.Nodes and the node ids a fault may name.
const maxNodes = 10_000

// Config is every knob of one simulation run. The zero value is not usable;
// start from DefaultConfig. Validate names the first field that is wrong.
type Config struct {
	// Seed drives the one random source of the run: topology, jitter, loss,
	// byzantine garbage. Same Config, same seed: same trace hash.
	Seed uint64 `json:"seed"`
	// Nodes is the number of nodes, at least 2 (at least 1 for solo mode
	// would prove nothing about a network).
	Nodes int `json:"nodes"`
	// Topology is line, ring, star, full or random.
	Topology string `json:"topology"`
	// Degree is each node's number of neighbours for the random topology
	// (the graph is connected and as regular as the seed allows). Ignored
	// by the other topologies.
	Degree int `json:"degree"`
	// Blocks is how many blocks the producers make (genesis excluded).
	Blocks int `json:"blocks"`
	// BlockSize is the body size in bytes that every block occupies on a
	// link. Bodies are simulated by size: the block's real transactions are
	// a few bytes, so 200 nodes × 1,000 blocks of 1 MiB fit in memory.
	BlockSize int `json:"block_size"`
	// Interval is the time between two produced blocks (one slot).
	Interval time.Duration `json:"interval"`
	// Latency is the one-way propagation delay of every link.
	Latency time.Duration `json:"latency"`
	// Jitter is the standard deviation of a normal delay added to Latency
	// per message (cut at zero). Lanes stay in order regardless.
	Jitter time.Duration `json:"jitter"`
	// Bandwidth is bits per second per link direction; 0 means unlimited
	// (no serialization delay).
	Bandwidth int64 `json:"bandwidth"`
	// Uplink, if positive, is each node's egress rate in bits per second,
	// shared by all its link directions (blocksync modes only): a node that
	// sends a block to k peers at once takes k times as long, as a host with
	// one shaped uplink does (`blockwire testnet --netns --bandwidth`). The
	// uplink serves the node's links round robin by chunk (uplink.go says
	// why fair rather than FIFO); a link still never exceeds Bandwidth. 0,
	// the default, gives every link direction its own Bandwidth.
	Uplink int64 `json:"uplink,omitempty"`
	// Loss is the probability that a message is lost once on the wire. The
	// link layer runs reliable streams, so a loss shows up as a
	// retransmission delay that holds up its lane (head-of-line blocking).
	Loss float64 `json:"loss"`
	// Dup is the probability that a message is duplicated on the wire. The
	// stream under each lane discards the copy, so it is delivered once but
	// costs its serialization time again (the lane behind it waits).
	Dup float64 `json:"dup"`
	// Reorder is the probability that a control-lane message is held back
	// (up to 4 × Latency) so that block bodies sent after it overtake it.
	// Each lane is a stream and keeps its own order, as the link layer
	// guarantees; reordering happens between lanes.
	Reorder float64 `json:"reorder"`
	// Producers is the number of producers in rotate and bft modes (nodes 0..P-1 are
	// spread over the graph by the topology's numbering). Solo mode uses 1.
	Producers int `json:"producers"`
	// Mode is solo, rotate or bft.
	Mode string `json:"mode"`
	// TermBlocks is how many consecutive slots one producer owns in rotate
	// mode before the next term starts.
	TermBlocks int `json:"term_blocks"`
	// Faults are scheduled partitions, crashes, restarts and byzantine
	// nodes; see ParseFaults for the syntax.
	Faults []Fault `json:"faults,omitempty"`
	// Relay is tree or flood.
	Relay string `json:"relay"`
	// Window is blocksync's receive window in bytes (blocksync.Config.Window;
	// 0 keeps its default). Small windows exercise acknowledgements and
	// stalls; a window below the bandwidth-delay product slows streaming.
	Window int `json:"window,omitempty"`
	// Chunk is the size of the pieces a block body is serialized in; a
	// control message waits for at most one chunk.
	Chunk int `json:"chunk"`
	// Settle bounds how long the run continues after the last block and
	// the last fault so that the network can converge. Liveness failures
	// show as heads that do not agree when Settle runs out.
	Settle time.Duration `json:"settle"`
	// CatchUpNode, if not negative, names a node that starts down and joins
	// at CatchUpAt; the run reports its catch-up rate. -1 disables it.
	CatchUpNode int `json:"catchup_node"`
	// CatchUpAt is when CatchUpNode joins.
	CatchUpAt time.Duration `json:"catchup_at"`
}

// DefaultConfig is a small healthy network: 16 nodes of degree 4, one
// producer, 64 KiB blocks every 100 ms, 10 ms links at 100 Mbit/s.
func DefaultConfig() Config {
	return Config{
		Seed:        1,
		Nodes:       16,
		Topology:    TopologyRandom,
		Degree:      4,
		Blocks:      50,
		BlockSize:   64 << 10,
		Interval:    100 * time.Millisecond,
		Latency:     10 * time.Millisecond,
		Bandwidth:   100_000_000,
		Producers:   1,
		Mode:        ModeSolo,
		TermBlocks:  4,
		Relay:       RelayTree,
		Chunk:       64 << 10,
		Settle:      30 * time.Second,
		CatchUpNode: -1,
	}
}

// ConfigError names the field that makes a Config unusable.
type ConfigError struct {
	Field  string
	Value  any
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("sim: config %s=%v: %s", e.Field, e.Value, e.Reason)
}

// Validate reports the first field that makes the Config unusable.
func (c Config) Validate() error {
	checks := []struct {
		bad    bool
		field  string
		value  any
		reason string
	}{
		{c.Nodes < 2, "nodes", c.Nodes, "need at least 2"},
		{c.Nodes > maxNodes, "nodes", c.Nodes, fmt.Sprintf("at most %d", maxNodes)},
		{!oneOf(c.Topology, TopologyLine, TopologyRing, TopologyStar, TopologyFull, TopologyRandom), "topology", c.Topology, "want line, ring, star, full or random"},
		{c.Topology == TopologyRandom && (c.Degree < 1 || c.Degree >= c.Nodes), "degree", c.Degree, "want 1 <= degree < nodes"},
		{c.Topology == TopologyRandom && c.Degree*c.Nodes%2 == 1 && c.Degree > 1, "degree", c.Degree, "degree × nodes must be even for a regular graph"},
		{c.Blocks < 1, "blocks", c.Blocks, "need at least 1"},
		{c.BlockSize < 0, "block_size", c.BlockSize, "must not be negative"},
		{c.Interval <= 0, "interval", c.Interval, "must be positive"},
		{c.Latency < 0, "latency", c.Latency, "must not be negative"},
		{c.Jitter < 0, "jitter", c.Jitter, "must not be negative"},
		{c.Bandwidth < 0, "bandwidth", c.Bandwidth, "must not be negative (0 = unlimited)"},
		{c.Uplink < 0, "uplink", c.Uplink, "must not be negative (0 = off)"},
		{c.Uplink > 0 && c.Mode == ModeBFT, "uplink", c.Uplink, "the shared uplink models blocksync modes (solo, rotate) only"},
		{!isProb(c.Loss) || c.Loss >= 1, "loss", c.Loss, "want 0 <= loss < 1"},
		{!isProb(c.Dup), "dup", c.Dup, "want 0 <= dup <= 1"},
		{!isProb(c.Reorder), "reorder", c.Reorder, "want 0 <= reorder <= 1"},
		{!oneOf(c.Mode, ModeSolo, ModeRotate, ModeBFT), "mode", c.Mode, "want solo, rotate or bft"},
		{c.Mode != ModeSolo && (c.Producers < 1 || c.Producers > c.Nodes), "producers", c.Producers, "want 1 <= producers <= nodes"},
		{c.Mode == ModeRotate && c.TermBlocks < 1, "term_blocks", c.TermBlocks, "need at least 1"},
		{!oneOf(c.Relay, RelayTree, RelayFlood), "relay", c.Relay, "want tree or flood"},
		{c.Chunk < 1, "chunk", c.Chunk, "need at least 1 byte"},
		{c.Window != 0 && c.Window < 1024, "window", c.Window, "want 0 (default) or at least 1024 bytes"},
		{c.Settle < 0, "settle", c.Settle, "must not be negative"},
		{c.CatchUpNode >= c.Nodes || c.CatchUpNode == 0 && c.Mode == ModeSolo, "catchup_node", c.CatchUpNode, "must be a node other than the solo producer, or -1"},
	}
	for _, ch := range checks {
		if ch.bad {
			return &ConfigError{Field: ch.field, Value: ch.value, Reason: ch.reason}
		}
	}
	for i, f := range c.Faults {
		if err := f.validate(c); err != nil {
			return &ConfigError{Field: fmt.Sprintf("faults[%d]", i), Value: f, Reason: err.Error()}
		}
	}
	return nil
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func isProb(p float64) bool { return p >= 0 && p <= 1 }
