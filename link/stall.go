package link

import "time"

// The stall watchdog (issue 11, attacks 1 and 4). A peer can hold our
// memory without sending: it announces a large message and stops (our
// receive buffer and its reservation wait for the rest), or it stops
// granting credit on a bulk lane (our queued blocks wait). Both are
// checked on the writer's ping tick, so the check costs no timer of its
// own and fires at most one PingInterval late:
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

// progressed records that lane l's partial message moved now.
func (s *session) progressed(l Lane) { s.progress[l].Store(time.Now().UnixNano()) }

// msgDone records that lane l is between messages.
func (s *session) msgDone(l Lane) { s.progress[l].Store(0) }

// checkStalls returns the fault of a stalled lane, or nil.
func (s *session) checkStalls(now time.Time) *peerFault {
	for l := range Lane(NumLanes) {
		at := s.progress[l].Load()
		if at == 0 {
			continue
		}
		if l.bulk() && s.inboxes[l].avail() <= 0 {
			s.progress[l].CompareAndSwap(at, now.UnixNano()) // our credit, not its stall
			continue
		}
		if idle := now.Sub(time.Unix(0, at)); idle > s.cfg.StallTimeout {
			return faultf(ReasonStalled, "lane %s: partial message got no byte for %v", l, idle.Round(time.Millisecond))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range [...]Lane{LaneBlocks, LaneSync} {
		if s.sched.queued[l] == 0 || s.sched.credit[l] > 0 {
			s.starved[l] = time.Time{}
			continue
		}
		if s.starved[l].IsZero() {
			s.starved[l] = now
			continue
		}
		if idle := now.Sub(s.starved[l]); idle > s.cfg.BulkStallTimeout {
			return faultf(ReasonStalled, "lane %s: no credit for %v with %d bytes queued", l, idle.Round(time.Millisecond), s.sched.queued[l])
		}
	}
	return nil
}

// tickStalls runs the watchdog and ends a stalled link, charging the peer.
func (s *session) tickStalls(now time.Time) {
	if f := s.checkStalls(now); f != nil {
		s.peerFault(f)
	}
}

// shedLog reports inbound rate-limit drops at most once per ping tick, at
// warning level for a protected peer: its drops are shed without charge
// (protect.go), and an operator must see that a producer sends more than
// the limits allow. An unprotected peer's drops are charged as floods.
func (s *session) shedLog() {
	s.mu.Lock()
	var total uint64
	for l := range Lane(NumLanes) {
		total += s.stats[l].Drops[DropRateLimited]
	}
	n := total - s.shedLogged
	s.shedLogged = total
	s.mu.Unlock()
	if n == 0 {
		return
	}
	if s.hub.isProtected(s.remote) {
		s.log.Warn().Uint64("dropped", n).Str("reason", string(DropRateLimited)).
			Msg("protected peer over the inbound rate limit: messages shed, not charged")
		return
	}
	s.log.Info().Uint64("dropped", n).Str("reason", string(DropRateLimited)).
		Msg("peer over the inbound rate limit: messages dropped and charged")
}
