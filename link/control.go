package link

import "time"

// Control frames from the peer (PING, CREDIT) cost us work and queue
// space, so they are bounded like messages (issue 11 review):
//
//   - one PONG at most is pending: a newer PING replaces the nonce of an
//     unsent PONG, so a peer that pings and never reads cannot grow our
//     control queue;
//   - PINGs beyond pingRate per second (burst pingBurst) — honest peers
//     ping once per PingInterval — are shed unanswered, counted as
//     rate_limited drops on the consensus lane, and charged FloodPenalty
//     (never to a protected peer);
//   - credit adds up to at most maxCredit outstanding; more is a protocol
//     fault, never a silent int64 overflow (sched.addCredit).
//
// This file is part of the pure session core (core.go).
const (
	pingRate  = 20
	pingBurst = 40
)

// pinged answers a PING from the peer, or sheds it.
func (c *sessCore) pinged(nonce uint64, now time.Time) ctlOutcome {
	if !c.pings.take(now) {
		c.drop(LaneConsensus, DropRateLimited, 1)
		return ctlFlood
	}
	if c.err != nil {
		return ctlNone
	}
	c.sched.pong, c.sched.pongDue = nonce, true
	return ctlWake
}

// ping queues a PING.
func (c *sessCore) ping(now time.Time) {
	c.pingNonce++
	c.pingSent = now
	c.sched.ctrl = appendPing(c.sched.ctrl, framePing, c.pingNonce)
}

// ponged takes the RTT sample of our outstanding PING.
func (c *sessCore) ponged(nonce uint64, now time.Time) {
	if nonce != c.pingNonce || c.pingSent.IsZero() {
		return
	}
	rtt := now.Sub(c.pingSent)
	c.pingSent = time.Time{}
	if c.minRTT == 0 || rtt < c.minRTT {
		c.minRTT = rtt
	}
	if c.srtt == 0 {
		c.srtt = rtt
	} else {
		c.srtt = (7*c.srtt + rtt) / 8
	}
}

// tickResult is what a tick asks of the driver.
type tickResult struct {
	end   *Error     // the PONG is late: close with it
	stall *peerFault // a stalled lane: charge the peer and close (stall.go)
	shed  uint64     // inbound rate-limit drops since the last tick, to log
}

// tick runs the timer duties at now (the driver calls it every
// PingInterval): PING or ping timeout, the stall watchdog, and the count
// of shed messages to report.
func (c *sessCore) tick(now time.Time) tickResult {
	var r tickResult
	if c.err != nil {
		return r
	}
	switch {
	case c.pingSent.IsZero():
		c.ping(now)
	case now.Sub(c.pingSent) > c.cfg.PingTimeout:
		r.end = &Error{Reason: ReasonTimeout, Detail: "no pong"}
	}
	r.stall = c.checkStalls(now)
	var total uint64
	for l := range Lane(NumLanes) {
		total += c.stats[l].Drops[DropRateLimited]
	}
	r.shed, c.shedLogged = total-c.shedLogged, total
	return r
}

func beUint64(p []byte) uint64 {
	var v uint64
	for _, b := range p[:8] {
		v = v<<8 | uint64(b)
	}
	return v
}
