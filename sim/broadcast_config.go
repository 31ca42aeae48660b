package sim

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// BroadcastBehaviour is what a byzantine node does in the broadcast
// simulator, on top of relaying like everyone else.
type BroadcastBehaviour string

// Broadcast byzantine behaviours.
const (
	// BroadcastSpam: every 50 ms the node originates a distinct signed
	// message (which validators reject: it is no authorised origin) and
	// announces 16 random digests it will never serve.
	BroadcastSpam BroadcastBehaviour = "spam"
	// BroadcastOversized: every 50 ms the node sends each neighbour a
	// message above the topic's size limit, or garbage bytes.
	BroadcastOversized BroadcastBehaviour = "oversized"
	// BroadcastPullFlood: for every message it receives, the node pulls it
	// 10 times from every neighbour.
	BroadcastPullFlood BroadcastBehaviour = "pullflood"
)

// BroadcastByz names byzantine nodes and their behaviour.
type BroadcastByz struct {
	Nodes     []int              `json:"nodes"`
	Behaviour BroadcastBehaviour `json:"behaviour"`
}

func (b BroadcastByz) String() string { return formatNodes(b.Nodes) + ":" + string(b.Behaviour) }

// BroadcastConfig is one run of the broadcast simulator (`blockwire sim
// broadcast`): N transport/broadcast cores on the blocksync simulator's
// network (latency, jitter, bandwidth per link direction, loss as a
// retransmission delay, lanes), with partitions, churn and byzantine
// peers. Start from DefaultBroadcastConfig; Validate names the first bad
// field.
type BroadcastConfig struct {
	// Seed drives the run's one random source: same config, same trace hash.
	Seed     uint64 `json:"seed"`
	Nodes    int    `json:"nodes"`
	Topology string `json:"topology"`
	Degree   int    `json:"degree"`
	// TopologySeed, when not zero, draws the random graph as `blockwire
	// testnet --topology-seed` and node.InitNetwork do (internal/topology),
	// so that a run simulates a real testnet's graph; zero draws it from
	// the run's seed.
	TopologySeed uint64 `json:"topology_seed,omitempty"`
	// Messages are sent every Interval, round-robin by Publishers nodes
	// (spread evenly over the node numbers), each of MsgSize bytes.
	Messages   int           `json:"messages"`
	MsgSize    int           `json:"msg_size"`
	Interval   time.Duration `json:"interval"`
	Publishers int           `json:"publishers"`
	// Latency, Jitter, Bandwidth and Loss are the links' (Config's meaning).
	Latency   time.Duration `json:"latency"`
	Jitter    time.Duration `json:"jitter"`
	Bandwidth int64         `json:"bandwidth"`
	Loss      float64       `json:"loss"`
	// Faults are partitions, one-way cuts, crashes and restarts
	// (ParseFaults syntax; byz is Byzantine's job here).
	Faults []Fault `json:"faults,omitempty"`
	// Churn draws that many crashes of non-publishing correct nodes while
	// messages flow, each restarted (with an empty cache) 2 s later.
	Churn int `json:"churn"`
	// Byzantine nodes and behaviours, e.g. "3+7:spam,9:pullflood".
	Byzantine []BroadcastByz `json:"byzantine,omitempty"`
	// GraftTimeout, DequeSize, PeerBytes and CacheBytes are the cores'
	// (broadcast.Config); 0 keeps the default.
	GraftTimeout time.Duration `json:"graft_timeout"`
	DequeSize    int           `json:"deque_size"`
	PeerBytes    int           `json:"peer_bytes"`
	CacheBytes   int           `json:"cache_bytes"`
	// Settle is how long the run continues after the last message.
	Settle time.Duration `json:"settle"`
}

// DefaultBroadcastConfig is measured-anchors.md's setup: 50 nodes of degree
// 8, 10 ms links at 100 Mbit/s, one publisher sending 64 KiB messages
// 500 ms apart.
func DefaultBroadcastConfig() BroadcastConfig {
	return BroadcastConfig{
		Seed: 1, Nodes: 50, Topology: TopologyRandom, Degree: 8,
		Messages: 100, MsgSize: 64 << 10, Interval: 500 * time.Millisecond, Publishers: 1,
		Latency: 10 * time.Millisecond, Bandwidth: 100_000_000,
		GraftTimeout: 200 * time.Millisecond, DequeSize: 128, PeerBytes: 8 << 20, CacheBytes: 64 << 20,
		Settle: 5 * time.Second,
	}
}

// Validate reports the first field that makes the config unusable.
func (c BroadcastConfig) Validate() error {
	checks := []struct {
		bad    bool
		field  string
		value  any
		reason string
	}{
		{c.Nodes < 2 || c.Nodes > maxNodes, "nodes", c.Nodes, fmt.Sprintf("want 2..%d", maxNodes)},
		{!oneOf(c.Topology, TopologyLine, TopologyRing, TopologyStar, TopologyFull, TopologyRandom), "topology", c.Topology, "want line, ring, star, full or random"},
		{c.Topology == TopologyRandom && (c.Degree < 1 || c.Degree >= c.Nodes || c.Degree*c.Nodes%2 == 1 && c.Degree > 1), "degree", c.Degree, "want 1 <= degree < nodes with degree × nodes even"},
		{c.Messages < 1, "messages", c.Messages, "need at least 1"},
		{c.MsgSize < 0 || c.MsgSize > 4<<20, "msg_size", c.MsgSize, "want 0..4 MiB"},
		{c.Interval <= 0, "interval", c.Interval, "must be positive"},
		{c.Publishers < 1 || c.Publishers > c.Nodes, "publishers", c.Publishers, "want 1..nodes"},
		{c.Latency < 0 || c.Jitter < 0 || c.Bandwidth < 0, "latency", c.Latency, "latency, jitter and bandwidth must not be negative"},
		{!isProb(c.Loss) || c.Loss >= 1, "loss", c.Loss, "want 0 <= loss < 1"},
		{c.Churn < 0 || c.Settle < 0 || c.GraftTimeout < 0, "churn", c.Churn, "churn, settle and graft timeout must not be negative"},
		{c.DequeSize < 0 || c.PeerBytes < 0 || c.CacheBytes < 0 || c.CacheBytes > 0 && c.CacheBytes < c.PeerBytes, "cache_bytes", c.CacheBytes, "want 0 (default) or peer_bytes <= cache_bytes"},
	}
	for _, ch := range checks {
		if ch.bad {
			return &ConfigError{Field: ch.field, Value: ch.value, Reason: ch.reason}
		}
	}
	nc := Config{Nodes: c.Nodes, Mode: ModeRotate}
	for i, f := range c.Faults {
		err := f.validate(nc)
		if err == nil && f.Kind == FaultByzantine {
			err = errors.New("byzantine nodes go in --byz")
		}
		if err != nil {
			return &ConfigError{Field: fmt.Sprintf("faults[%d]", i), Value: f, Reason: err.Error()}
		}
	}
	pubs := c.publishers()
	for i, b := range c.Byzantine {
		for _, v := range b.Nodes {
			if v >= c.Nodes || slices.Contains(pubs, v) {
				return &ConfigError{Field: fmt.Sprintf("byzantine[%d]", i), Value: b, Reason: "node out of range or a publisher"}
			}
		}
	}
	return nil
}

// publishers are the publishing nodes, spread over the node numbers.
func (c BroadcastConfig) publishers() []int {
	var out []int
	for k := 0; k < c.Publishers; k++ {
		out = append(out, k*c.Nodes/c.Publishers)
	}
	return out
}

// Command renders the `blockwire sim broadcast` invocation that replays c.
func (c BroadcastConfig) Command() string {
	args := []string{"blockwire sim broadcast",
		fmt.Sprintf("--seed %d", c.Seed), fmt.Sprintf("--nodes %d", c.Nodes),
		fmt.Sprintf("--topology %s", c.Topology), fmt.Sprintf("--degree %d", c.Degree),
		fmt.Sprintf("--messages %d", c.Messages), fmt.Sprintf("--msg-size %d", c.MsgSize),
		fmt.Sprintf("--interval %s", c.Interval), fmt.Sprintf("--publishers %d", c.Publishers),
		fmt.Sprintf("--latency %s", c.Latency), fmt.Sprintf("--jitter %s", c.Jitter),
		fmt.Sprintf("--bandwidth %d", c.Bandwidth), fmt.Sprintf("--loss %g", c.Loss),
		fmt.Sprintf("--churn %d", c.Churn), fmt.Sprintf("--graft-timeout %s", c.GraftTimeout),
		fmt.Sprintf("--deque-size %d", c.DequeSize), fmt.Sprintf("--peer-bytes %d", c.PeerBytes),
		fmt.Sprintf("--cache-bytes %d", c.CacheBytes), fmt.Sprintf("--settle %s", c.Settle),
	}
	if c.TopologySeed != 0 {
		args = append(args, fmt.Sprintf("--topology-seed %d", c.TopologySeed))
	}
	if len(c.Faults) > 0 {
		args = append(args, fmt.Sprintf("--faults '%s'", FormatFaults(c.Faults)))
	}
	if len(c.Byzantine) > 0 {
		args = append(args, fmt.Sprintf("--byz '%s'", formatBroadcastByz(c.Byzantine)))
	}
	return strings.Join(args, " ")
}

// RegisterFlags defines one flag per field on fs, named as Command prints
// them.
func (c *BroadcastConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the run's one random source")
	fs.IntVar(&c.Nodes, "nodes", c.Nodes, "number of nodes")
	fs.StringVar(&c.Topology, "topology", c.Topology, "line, ring, star, full or random")
	fs.IntVar(&c.Degree, "degree", c.Degree, "links per node (random topology)")
	fs.Uint64Var(&c.TopologySeed, "topology-seed", c.TopologySeed, "with random: the graph of `blockwire testnet --topology-seed` (0: drawn from --seed)")
	fs.IntVar(&c.Messages, "messages", c.Messages, "messages to broadcast")
	fs.IntVar(&c.MsgSize, "msg-size", c.MsgSize, "payload bytes per message")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "time between two messages")
	fs.IntVar(&c.Publishers, "publishers", c.Publishers, "publishing nodes, taking turns")
	fs.DurationVar(&c.Latency, "latency", c.Latency, "one-way link latency")
	fs.DurationVar(&c.Jitter, "jitter", c.Jitter, "standard deviation of per-message delay")
	fs.Int64Var(&c.Bandwidth, "bandwidth", c.Bandwidth, "bits per second per link direction (0 = unlimited)")
	fs.Float64Var(&c.Loss, "loss", c.Loss, "probability a message needs a retransmission")
	fs.IntVar(&c.Churn, "churn", c.Churn, "crashes of non-publishing nodes drawn from the seed (restart 2s later)")
	fs.DurationVar(&c.GraftTimeout, "graft-timeout", c.GraftTimeout, "wait for an announced message before pulling it")
	fs.IntVar(&c.DequeSize, "deque-size", c.DequeSize, "digests per peer deque")
	fs.IntVar(&c.PeerBytes, "peer-bytes", c.PeerBytes, "cache bytes one peer may pin")
	fs.IntVar(&c.CacheBytes, "cache-bytes", c.CacheBytes, "cache byte budget per node")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "time simulated after the last message")
	fs.Var((*faultsFlag)(&c.Faults), "faults", "faults, e.g. 'partition@2s-5s:0-24/25-49,crash@3s:7,restart@6s:7'")
	fs.Var((*broadcastByzFlag)(&c.Byzantine), "byz", "byzantine nodes, e.g. '3+7:spam,9:pullflood' (spam, oversized, pullflood)")
}

// ParseBroadcastByz reads "nodes:behaviour" items joined by commas.
func ParseBroadcastByz(s string) ([]BroadcastByz, error) {
	var out []BroadcastByz
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		nodes, what, ok := strings.Cut(item, ":")
		b := BroadcastByz{Behaviour: BroadcastBehaviour(what)}
		var err error
		if !ok {
			err = errors.New("want nodes:behaviour")
		} else if b.Nodes, err = parseNodes(nodes); err == nil &&
			!slices.Contains([]BroadcastBehaviour{BroadcastSpam, BroadcastOversized, BroadcastPullFlood}, b.Behaviour) {
			err = fmt.Errorf("unknown behaviour %q", what)
		}
		if err != nil {
			return nil, &FaultError{Fault: item, Reason: err.Error()}
		}
		out = append(out, b)
	}
	return out, nil
}

func formatBroadcastByz(bs []BroadcastByz) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.String()
	}
	return strings.Join(parts, ",")
}

type broadcastByzFlag []BroadcastByz

func (f *broadcastByzFlag) String() string {
	if f == nil {
		return ""
	}
	return formatBroadcastByz(*f)
}

func (f *broadcastByzFlag) Set(s string) error {
	bs, err := ParseBroadcastByz(s)
	if err == nil {
		*f = bs
	}
	return err
}
