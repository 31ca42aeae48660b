package node

import (
	"fmt"

	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/internal/topology"
)

// Topology is how InitNetwork wires a network's static peers: one of
// internal/topology's kinds, the same graphs testnet --netns draws.
type Topology string

// Topologies. Nodes are numbered producers first, so a line puts the full
// nodes at its far end.
const (
	// TopologyFull: every node peers every other (the default).
	TopologyFull = Topology(topology.Full)
	// TopologyRing: node i peers i−1 and i+1, wrapping around.
	TopologyRing = Topology(topology.Ring)
	// TopologyLine: node i peers i−1 and i+1.
	TopologyLine = Topology(topology.Line)
	// TopologyRandom: a connected random graph in which every node has
	// Degree peers (one has Degree−1 when nodes×Degree is odd), seeded.
	TopologyRandom = Topology(topology.Random)
)

// Neighbours returns each node's peers in topology t over n nodes
// (topology.Build): a symmetric adjacency (both ends list the link, the
// link layer keeps one connection). degree is used by TopologyRandom
// (1 ≤ degree < n); seed makes it reproducible. An empty t is full.
func Neighbours(t Topology, n, degree int, seed uint64) ([][]int, error) {
	if t == "" {
		t = TopologyFull
	}
	g, err := topology.Build(topology.Spec{Kind: topology.Kind(t), Nodes: n, Degree: degree, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	return g, nil
}

// raftTimers scales the base config's raft timers, taken as one-hop
// values, to producers hops apart (cft.HopTimers; docs/operations.md,
// "Raft timers for producers that are hops apart").
func raftTimers(c *ConsensusConfig, hops int) {
	t := cft.HopTimers(cft.Timers{Heartbeat: c.HeartbeatTimeout.Duration, Election: c.ElectionTimeout.Duration,
		Lease: c.LeaderLeaseTimeout.Duration}, hops)
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = Duration{Duration: t.Heartbeat}, Duration{Duration: t.Election}, Duration{Duration: t.Lease}
}
