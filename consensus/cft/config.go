package cft

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
)

// Floors enforced by Validate.
const (
	// MinTimeout is the floor for the heartbeat, election and leader-lease
	// timeouts. Below it raft flaps on shared or small machines (measured:
	// 20 ms raised the term four times in six seconds under load on 2 vCPUs;
	// see docs/benchmarks and deps.md §2.5).
	MinTimeout = 50 * time.Millisecond
	// MinProduceInterval is the shortest block interval.
	MinProduceInterval = 10 * time.Millisecond
)

// Config configures an Engine. Start from DefaultConfig.
type Config struct {
	// LocalID is this node's raft server id; under the libp2p stream layer
	// it is the peer id string, which is also the server address.
	LocalID raft.ServerID
	// Genesis is the block the committed chain starts from: the genesis
	// block, or the irreversible block at which CFT took over. Every member
	// must use the same value.
	Genesis block.ID
	// ServerOf maps a block producer's public key to its raft server id
	// (under the libp2p stream layer: the peer id that embeds the key).
	// When set, every block entry carries the block's signed header
	// (Produced.Header) and every member applies an entry only if the
	// signature is valid and the signer is a voter of the configuration in
	// force (fsmState.authorize): defence in depth behind the guard. It
	// must be a pure function, the same on every member. nil: entries are
	// checked for form and parent only (engine tests, cftbench).
	ServerOf func(block.PublicKey) (raft.ServerID, bool)
	// Bootstrap is the initial producer set (voters). Every initial member
	// passes the same list; it is ignored when the database already holds
	// raft state, and a node joining later through a change passes none.
	Bootstrap []raft.Server

	// ProduceInterval is the block interval: the leader produces one block
	// per tick. At least MinProduceInterval. Default 500 ms.
	ProduceInterval time.Duration

	// HeartbeatTimeout is how long a follower waits without leader contact
	// before it campaigns (randomised in [T, 2T)). Failover takes about
	// 1–3× this. At least MinTimeout. Default 100 ms (a LAN setting).
	HeartbeatTimeout time.Duration
	// ElectionTimeout is how long a candidate waits for votes (randomised
	// the same way). At least HeartbeatTimeout. Default 100 ms.
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout is how long a leader keeps leading without contact
	// from a quorum. It bounds the window in which a deposed leader still
	// believes it leads (it cannot commit in that window). At least
	// MinTimeout, at most HeartbeatTimeout. Default 100 ms, equal to
	// HeartbeatTimeout: a shorter lease makes a leader whose process
	// stalls between the lease and the heartbeat timeout abdicate although
	// its followers, who wait at least HeartbeatTimeout, would have kept
	// it (docs/benchmarks.md, "Issue 19: raft leader churn on shaped
	// links": every tenure on the loaded 16-node testnet ended that way).
	LeaderLeaseTimeout time.Duration
	// CommitTimeout is the leader's idle time before it pushes the commit
	// index to followers; followers learn commits this late at worst (up to
	// 2×). Between 1 ms and HeartbeatTimeout. Default 5 ms.
	CommitTimeout time.Duration
	// ApplyTimeout bounds enqueueing a block entry into raft (not its
	// commit). Default 1 s.
	ApplyTimeout time.Duration
	// BarrierTimeout bounds the Barrier a new leader issues before it
	// produces. Default 5 s.
	BarrierTimeout time.Duration
	// RPCTimeout is the transport's I/O deadline per raft RPC. Default 2 s.
	RPCTimeout time.Duration
	// MaxPool is how many idle streams the transport keeps per peer.
	// Default 3.
	MaxPool int

	// SnapshotThreshold, SnapshotInterval and TrailingLogs are raft's
	// snapshot cadence and log retention (see raft.Config). Snapshots are a
	// few hundred bytes, so frequent ones are cheap; TrailingLogs should
	// cover a slow follower's catch-up at the block rate. Defaults 8192,
	// 120 s and 10240.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64

	// Logger receives engine and raft logs; the zero value is silent.
	Logger zerolog.Logger
}

// DefaultConfig returns a Config with the defaults documented on each field;
// the caller sets LocalID, Genesis and Bootstrap.
func DefaultConfig() Config {
	return Config{
		ProduceInterval:    500 * time.Millisecond,
		HeartbeatTimeout:   100 * time.Millisecond,
		ElectionTimeout:    100 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond,
		CommitTimeout:      5 * time.Millisecond,
		ApplyTimeout:       time.Second,
		BarrierTimeout:     5 * time.Second,
		RPCTimeout:         2 * time.Second,
		MaxPool:            3,
		SnapshotThreshold:  8192,
		SnapshotInterval:   120 * time.Second,
		TrailingLogs:       10240,
	}
}

// Validate reports every violated constraint, each naming the field and its
// value. Errors wrap ErrConfig.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if c.LocalID == "" {
		bad("LocalID is empty")
	}
	if c.ProduceInterval < MinProduceInterval {
		bad("ProduceInterval %v is below %v", c.ProduceInterval, MinProduceInterval)
	}
	for _, t := range []struct {
		name string
		v    time.Duration
	}{{"HeartbeatTimeout", c.HeartbeatTimeout}, {"ElectionTimeout", c.ElectionTimeout}, {"LeaderLeaseTimeout", c.LeaderLeaseTimeout}} {
		if t.v < MinTimeout {
			bad("%s %v is below %v", t.name, t.v, MinTimeout)
		}
	}
	if c.ElectionTimeout < c.HeartbeatTimeout {
		bad("ElectionTimeout %v is below HeartbeatTimeout %v", c.ElectionTimeout, c.HeartbeatTimeout)
	}
	if c.LeaderLeaseTimeout > c.HeartbeatTimeout {
		bad("LeaderLeaseTimeout %v exceeds HeartbeatTimeout %v", c.LeaderLeaseTimeout, c.HeartbeatTimeout)
	}
	if c.CommitTimeout < time.Millisecond || c.CommitTimeout > c.HeartbeatTimeout {
		bad("CommitTimeout %v is outside [1ms, HeartbeatTimeout %v]", c.CommitTimeout, c.HeartbeatTimeout)
	}
	for _, t := range []struct {
		name string
		v    time.Duration
	}{{"ApplyTimeout", c.ApplyTimeout}, {"BarrierTimeout", c.BarrierTimeout}, {"RPCTimeout", c.RPCTimeout}} {
		if t.v <= 0 {
			bad("%s %v is not positive", t.name, t.v)
		}
	}
	if c.MaxPool < 1 {
		bad("MaxPool %d is below 1", c.MaxPool)
	}
	if c.SnapshotThreshold == 0 || c.TrailingLogs == 0 || c.SnapshotInterval < 5*time.Millisecond {
		bad("SnapshotThreshold %d, TrailingLogs %d and SnapshotInterval %v must be positive (interval ≥ 5ms)",
			c.SnapshotThreshold, c.TrailingLogs, c.SnapshotInterval)
	}
	return errors.Join(errs...)
}

// raftConfig translates c into raft's config.
func (c *Config) raftConfig() *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = c.LocalID
	rc.HeartbeatTimeout = c.HeartbeatTimeout
	rc.ElectionTimeout = c.ElectionTimeout
	rc.LeaderLeaseTimeout = c.LeaderLeaseTimeout
	rc.CommitTimeout = c.CommitTimeout
	rc.SnapshotThreshold = c.SnapshotThreshold
	rc.SnapshotInterval = c.SnapshotInterval
	rc.TrailingLogs = c.TrailingLogs
	// A removed producer keeps running as a non-member: it follows the
	// chain from headers like any non-producer and may be added back.
	rc.ShutdownOnRemove = false
	rc.Logger = newHCLog(c.Logger, "raft")
	return rc
}
