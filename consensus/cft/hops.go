package cft

import "time"

// MaxTimerScale caps the factor HopTimers multiplies by: past it a
// producer set wants its timers chosen by hand (failover is 1–3× the
// heartbeat timeout).
const MaxTimerScale = 20

// Timers are raft's three timeouts (Config.HeartbeatTimeout,
// ElectionTimeout, LeaderLeaseTimeout).
type Timers struct {
	Heartbeat, Election, Lease time.Duration
}

// HopScale is the factor HopTimers applies for producers up to hops apart:
// 1 for a full mesh (hops ≤ 1), otherwise 2×hops, at most MaxTimerScale.
func HopScale(hops int) int {
	if hops <= 1 {
		return 1
	}
	return min(2*hops, MaxTimerScale)
}

// HopTimers scales one-hop raft timers to producers that are hops apart:
// every timer is multiplied by HopScale(hops).
//
// Why: raft rides routed unicast, so an RPC between producers crosses
// every relay on the path twice, and on a starved host each crossing costs
// process wake-ups. Raft's clocks are all "one RPC round trip" budgets (a
// heartbeat RPC times out after Heartbeat/2, the lease needs a quorum's
// answer within Lease, a pre-vote round lasts Election), so they scale with
// the path, not the link. Measured (docs/benchmarks.md, issue 13): seven
// producers on a ring, three hops apart, on the shared 2-core host lost
// their leader every 1–3 s at 100/100/50 ms under load ~20; 300/300/150 ms
// (100 ms per hop) held at load ~20 but collapsed at load 30–40; 600/600/
// 300 ms (200 ms per hop, this rule) held at load ~36. The one-hop values
// are the floor: a full mesh keeps them. Lease stays ≤ Heartbeat because
// all three scale alike.
func HopTimers(oneHop Timers, hops int) Timers {
	s := time.Duration(HopScale(hops))
	return Timers{Heartbeat: oneHop.Heartbeat * s, Election: oneHop.Election * s, Lease: oneHop.Lease * s}
}
