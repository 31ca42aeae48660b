package cft

import "time"

// MaxTimerHops caps the hop count HopTimers scales by: past ten hops a
// producer set wants its timers chosen by hand (failover is 1–3× the
// heartbeat timeout).
const MaxTimerHops = 10

// Timers are raft's three timeouts (Config.HeartbeatTimeout,
// ElectionTimeout, LeaderLeaseTimeout).
type Timers struct {
	Heartbeat, Election, Lease time.Duration
}

// HopTimers scales one-hop raft timers to producers that are hops apart:
// every timer is multiplied by hops (at least 1, at most MaxTimerHops).
//
// Why: raft now rides routed unicast, so an RPC between producers crosses
// every relay on the path twice, and on a starved host each crossing costs
// a process wake-up. Raft's clocks are all "one RPC round trip" budgets
// (a heartbeat RPC times out after Heartbeat/2, the lease needs a quorum's
// answer within Lease, a pre-vote round lasts Election), so they scale with
// the path, not the link. Measured (docs/benchmarks.md, issue 13): seven
// producers on a ring, three hops apart, lost their leader every 1–3 s at
// 100/100/50 ms under load ~20 and held with 300/300/150 ms, which is this
// rule at three hops. The one-hop values are the floor: a full mesh keeps
// them unchanged. Lease stays ≤ Heartbeat because both scale alike.
func HopTimers(oneHop Timers, hops int) Timers {
	h := time.Duration(min(max(hops, 1), MaxTimerHops))
	return Timers{Heartbeat: oneHop.Heartbeat * h, Election: oneHop.Election * h, Lease: oneHop.Lease * h}
}
