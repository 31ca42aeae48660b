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

// QueueTimers are the raft timers for producers hops apart whose every
// hop crosses FIFO queues holding up to queue each (a shaped access link:
// tc tbf's own queue, the sender's upload and the receiver's download): at
// least oneHop scaled by HopTimers, and a heartbeat timeout of twice the
// worst round trip through full queues (hops × 4 × queue: two queues each
// way per hop). 0 queue: HopTimers.
//
// Why twice the round trip: the message transport gives a heartbeat RPC
// Heartbeat/2 to come back (MsgTimeouts), and a heartbeat answered later
// is dropped as stale and never counts as contact. When block packets fill
// the queues, a round trip takes up to the worst case; if Heartbeat/2 is
// shorter, every heartbeat fails and the leader hears its followers only
// through the answers to its block entries, one per block interval —
// longer than the lease at 500 ms blocks, so the leader steps down while
// every node is up (docs/benchmarks.md, "Issue 19: leader churn and block
// budget (session 11)"). Election and lease follow the heartbeat, as in
// HopTimers.
func QueueTimers(oneHop Timers, hops int, queue time.Duration) Timers {
	t := HopTimers(oneHop, hops)
	hb := 2 * time.Duration(max(hops, 1)) * 4 * queue
	if t.Heartbeat >= hb {
		return t
	}
	s := float64(hb) / float64(t.Heartbeat)
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * s).Round(time.Millisecond) }
	return Timers{Heartbeat: hb, Election: max(scale(t.Election), hb), Lease: min(scale(t.Lease), hb)}
}
