package link

import "time"

// Protected peers (issue 11, attack 3). Producers of the set in force and
// static peers run our own protocols with us, and their honest bursts (a
// mempool hand-off to a new leader, a catch-up) can exceed the inbound
// rate limits. For both:
//
//   - rate-limit overflow is shed and counted (DropRateLimited) and logged
//     once per ping tick (session.shedLog), but never charged: floods
//     cannot ban a producer or a static peer;
//   - they are exempt from the node-wide queue budget and may use the last
//     fifth of the receive memory (budget.go, reserve.go).
//
// Producers (Config.ProtectedPeers, then SetProtected) are also never
// banned by scoring: other faults are charged and close the link with
// their reason, but a producer past the threshold is logged, not refused,
// and a score ban — including one restored from the BanStore, taken before
// the peer became a producer — is not enforced against it, so consensus
// connectivity survives. Static peers get no such immunity: a static full
// node that speaks raft without authority (ReasonUnauthorized), sends
// invalid blocks or breaks the protocol is banned like anyone else. An
// operator's ban (Network.Ban) is enforced against everyone.

// protection is what a peer is exempt from; the zero value is nothing.
type protection uint8

const (
	protStatic   protection = 1 // floods shed, not charged; budgets
	protProducer protection = 2 // and never banned by scoring
)

// setProtected sets p's protection (0 lifts it).
func (h *hub) setProtected(p PeerID, level protection) {
	h.protMu.Lock()
	defer h.protMu.Unlock()
	if level != 0 {
		h.protected[p] = level
	} else {
		delete(h.protected, p)
	}
}

// isProtected reports whether p is a producer or a static peer.
func (h *hub) isProtected(p PeerID) bool {
	h.protMu.RLock()
	defer h.protMu.RUnlock()
	return h.protected[p] != 0
}

// banExempt reports whether scoring may never ban p (a producer).
func (h *hub) banExempt(p PeerID) bool {
	h.protMu.RLock()
	defer h.protMu.RUnlock()
	return h.protected[p] >= protProducer
}

// refusedLocked returns the ban that keeps p out, if any: any ban for a
// peer that is not a producer, an operator's ban for a producer.
func (h *hub) refusedLocked(p PeerID, now time.Time) (Ban, bool) {
	b, ok := h.scores.banned(p, now)
	if !ok || (!b.Operator && h.banExempt(p)) {
		return Ban{}, false
	}
	return b, true
}

// SetProtected protects p (a producer of the set in force) or lifts that
// protection; see protect.go for what protection means. node/ calls it
// when the producer set changes.
func (h *MemHost) SetProtected(p PeerID, on bool) {
	level := protection(0)
	if on {
		level = protProducer
	}
	h.setProtected(p, level)
}
