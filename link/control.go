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
const (
	pingRate  = 20
	pingBurst = 40
)

// ctlState is the session's control-frame limiter; guarded by s.mu.
type ctlState struct {
	pings bucket
}

func newCtlState(now time.Time) ctlState {
	return ctlState{pings: newBucket(pingRate, pingBurst, now)}
}

// ping answers a PING from the peer, or sheds and charges it.
func (s *session) ping(nonce uint64) error {
	s.mu.Lock()
	if !s.ctl.pings.take(time.Now()) {
		s.dropLocked(LaneConsensus, DropRateLimited, 1)
		s.mu.Unlock()
		if s.hub.penalize(s.remote, ReasonFlood) {
			return faultf(ReasonFlood, "banned: ping rate")
		}
		return nil
	}
	s.sched.pong, s.sched.pongDue = nonce, true
	s.mu.Unlock()
	s.wakeWriter()
	return nil
}

// tickPing sends a PING or fails the link when the last one went unanswered.
func (s *session) tickPing(now time.Time) {
	s.mu.Lock()
	if !s.pingSent.IsZero() {
		late := now.Sub(s.pingSent) > s.cfg.PingTimeout
		s.mu.Unlock()
		if late {
			s.fail(&Error{Reason: ReasonTimeout, Detail: "no pong"})
		}
		return
	}
	s.pingLocked(now)
	s.mu.Unlock()
}

func (s *session) pingLocked(now time.Time) {
	s.pingNonce++
	s.pingSent = now
	s.sched.ctrl = appendPing(s.sched.ctrl, framePing, s.pingNonce)
}

func (s *session) pong(nonce uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if nonce != s.pingNonce || s.pingSent.IsZero() {
		return
	}
	rtt := time.Since(s.pingSent)
	s.pingSent = time.Time{}
	if s.srtt == 0 {
		s.srtt = rtt
	} else {
		s.srtt = (7*s.srtt + rtt) / 8
	}
}

func beUint64(p []byte) uint64 {
	var v uint64
	for _, b := range p[:8] {
		v = v<<8 | uint64(b)
	}
	return v
}
