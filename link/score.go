package link

import (
	"math"
	"time"
)

// scores tracks peer scores and bans. It is a pure structure: the caller
// passes the time and holds the lock. Invariant: a peer in bans with Until
// in the past is treated as not banned and removed lazily.
type scores struct {
	cfg   ScoreConfig
	score map[PeerID]*peerScore
	bans  map[PeerID]Ban
}

type peerScore struct {
	value   float64 // ≤ 0; decays toward 0
	updated time.Time
}

func newScores(cfg ScoreConfig) *scores {
	return &scores{cfg: cfg, score: map[PeerID]*peerScore{}, bans: map[PeerID]Ban{}}
}

func (s *scores) penalty(r Reason) float64 {
	switch r {
	case ReasonDecode:
		return s.cfg.DecodePenalty
	case ReasonOversize:
		return s.cfg.OversizePenalty
	case ReasonUnknownLane:
		return s.cfg.UnknownLanePenalty
	case ReasonProtocol, ReasonInvalid, ReasonUnauthorized:
		// An invalid message found by the application, or a protocol the
		// peer's role does not allow, is a protocol violation one layer
		// up; it costs the same.
		return s.cfg.ProtocolPenalty
	case ReasonFlood:
		return s.cfg.FloodPenalty
	case ReasonStalled:
		return s.cfg.StallPenalty
	}
	return 0
}

// get returns p's score decayed to now.
func (s *scores) get(p PeerID, now time.Time) float64 {
	ps := s.score[p]
	if ps == nil {
		return 0
	}
	s.decay(ps, now)
	return ps.value
}

func (s *scores) decay(ps *peerScore, now time.Time) {
	if dt := now.Sub(ps.updated); dt > 0 {
		ps.value *= math.Exp2(-float64(dt) / float64(s.cfg.HalfLife))
		ps.updated = now
	}
}

// penalize charges p for a fault and reports a new ban, if the fault
// crossed the threshold and mayBan is set (it is not for protected peers).
// The ban's reason names the fault and its detail.
func (s *scores) penalize(p PeerID, r Reason, detail string, now time.Time, mayBan bool) (Ban, bool) {
	ps := s.score[p]
	if ps == nil {
		ps = &peerScore{updated: now}
		s.score[p] = ps
	}
	s.decay(ps, now)
	ps.value -= s.penalty(r)
	if ps.value > -s.cfg.BanThreshold || !mayBan {
		return Ban{}, false
	}
	if _, ok := s.banned(p, now); ok {
		return Ban{}, false
	}
	reason := "score: " + string(r)
	if detail != "" {
		reason += ": " + detail
	}
	b := Ban{Peer: p, Reason: reason, Until: now.Add(s.cfg.BanDuration)}
	s.bans[p] = b
	return b, true
}

// ban records an operator ban.
func (s *scores) ban(p PeerID, d time.Duration, reason string, now time.Time) Ban {
	b := Ban{Peer: p, Reason: reason, Until: now.Add(d), Operator: true}
	s.bans[p] = b
	return b
}

// unban lifts p's ban and forgives its score.
func (s *scores) unban(p PeerID) {
	delete(s.bans, p)
	delete(s.score, p)
}

// restore puts back a ban loaded from a BanStore; it reports false for
// one that has expired by now.
func (s *scores) restore(b Ban, now time.Time) bool {
	if !now.Before(b.Until) {
		return false
	}
	s.bans[b.Peer] = b
	return true
}

// banned reports p's ban if it is still in force.
func (s *scores) banned(p PeerID, now time.Time) (Ban, bool) {
	b, ok := s.bans[p]
	if !ok {
		return Ban{}, false
	}
	if !now.Before(b.Until) {
		delete(s.bans, p)
		if ps := s.score[p]; ps != nil {
			ps.value = 0 // served its time: start over
		}
		return Ban{}, false
	}
	return b, true
}
