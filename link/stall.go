package link

import "time"

// The stall watchdog (issue 11, attacks 1 and 4). A peer can hold our
// memory without sending: it announces a large message and stops (our
// receive buffer and its reservation wait for the rest), or it stops
// granting credit on a bulk lane (our queued blocks wait). Both are
// checked on the ping tick (sessCore.tick), so the check costs no timer
// of its own and fires at most one PingInterval late:
//
//   - receiving: a partial message that gets no byte for StallTimeout,
//     while the peer may send (on a bulk lane: we granted it credit), ends
//     the link with ReasonStalled and costs StallPenalty;
//   - sending: a bulk lane with bytes queued and no credit from the peer
//     for BulkStallTimeout ends the link the same way.
//
// Waiting on ourselves is never a stall: a bulk lane whose credit we
// withhold (a slow Receive) and a reader waiting for memory (reserve.go)
// count as progress.
//
// This file is part of the pure session core (core.go).

// checkStalls returns the fault of a stalled lane, or nil.
func (c *sessCore) checkStalls(now time.Time) *peerFault {
	for l := range Lane(NumLanes) {
		at := c.progress[l]
		if at.IsZero() {
			continue
		}
		if l.bulk() && c.credit[l].avail() <= 0 {
			c.progress[l] = now // our credit, not its stall
			continue
		}
		if idle := now.Sub(at); idle > c.cfg.StallTimeout {
			return faultf(ReasonStalled, "lane %s: partial message got no byte for %v", l, idle.Round(time.Millisecond))
		}
	}
	for _, l := range [...]Lane{LaneBlocks, LaneSync} {
		if c.sched.queued[l] == 0 || c.sched.credit[l] > 0 {
			c.starved[l] = time.Time{}
			continue
		}
		if c.starved[l].IsZero() {
			c.starved[l] = now
			continue
		}
		if idle := now.Sub(c.starved[l]); idle > c.cfg.BulkStallTimeout {
			return faultf(ReasonStalled, "lane %s: no credit for %v with %d bytes queued", l, idle.Round(time.Millisecond), c.sched.queued[l])
		}
	}
	return nil
}
