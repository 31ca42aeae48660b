package main

import (
	"time"

	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/internal/netns"
	"github.com/blockwire/blockwire/internal/topology"
	"github.com/blockwire/blockwire/node"
)

// raftTimersResult is the raft timers the namespace testnet gave its
// producers (JSON raft_timers) and what it chose them from.
type raftTimersResult struct {
	HeartbeatMs int64 `json:"heartbeat_ms"`
	ElectionMs  int64 `json:"election_ms"`
	LeaseMs     int64 `json:"lease_ms"`
	// Hops is the most hops between two producers: 1 with --seeds (the
	// producers are each other's static peers), else the topology's
	// producer span.
	Hops int `json:"hops"`
	// QueueMs is how long a packet may wait in each shaped queue it
	// crosses (netns.ShapeQueue; 0 unshaped).
	QueueMs int64 `json:"queue_ms"`
}

// chooseRaftTimers picks the producers' raft timers from what the testnet
// knows — how many hops apart the producers are and how long the shaped
// queues on the way may hold a message — instead of taking the random
// graph's producer span that InitNetwork scales by: with --seeds the
// producers are direct peers, and that span was an accident (qos19). On
// shaped links the queues set the floor (cft.QueueTimers says why).
func chooseRaftTimers(base node.ConsensusConfig, seeds bool, g topology.Graph, producers int, shaped bool) (cft.Timers, raftTimersResult) {
	hops := 1
	if !seeds {
		hops = g.Span(producers)
	}
	var queue time.Duration
	if shaped {
		queue = netns.ShapeQueue
	}
	one := cft.Timers{Heartbeat: base.HeartbeatTimeout.Duration, Election: base.ElectionTimeout.Duration, Lease: base.LeaderLeaseTimeout.Duration}
	t := cft.QueueTimers(one, hops, queue)
	return t, raftTimersResult{HeartbeatMs: t.Heartbeat.Milliseconds(), ElectionMs: t.Election.Milliseconds(),
		LeaseMs: t.Lease.Milliseconds(), Hops: hops, QueueMs: queue.Milliseconds()}
}

// setRaftTimers writes t into a node's consensus config.
func setRaftTimers(c *node.ConsensusConfig, t cft.Timers) {
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = node.Duration{Duration: t.Heartbeat}, node.Duration{Duration: t.Election}, node.Duration{Duration: t.Lease}
}

// blockTarget is the producers' consensus.block_target_bytes for a payload
// of blockSize bytes per block interval: twice it, so a backlog drains by
// one payload per block while no block exceeds what a 100 Mbit/s producer
// sends its ~3 children in a 500 ms interval (~6 MB up its link: 2 MiB
// each at 1 MiB payloads). Without payload: the node's default.
func blockTarget(blockSize int) int {
	if blockSize <= 0 {
		return node.DefaultConfig().Consensus.BlockTargetBytes
	}
	return max(2*blockSize, 4<<10)
}
