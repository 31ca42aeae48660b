package link

import "time"

// Protected peers (issue 11, attack 3). Producers of the set in force and
// static peers run our own protocols with us, and their honest bursts (a
// mempool hand-off to a new leader, a catch-up) can exceed the inbound
// rate limits. For them:
//
//   - rate-limit overflow is shed and counted (DropRateLimited) and logged
//     once per ping tick (session.shedLog), but never charged: floods
//     cannot ban a producer;
//   - other faults are charged, and close the link with their reason, but
//     never ban: a producer past the threshold is logged, not refused;
//   - a ban from scoring — including one restored from the BanStore,
//     taken before the peer became a producer — is not enforced against a
//     protected peer: protection is checked before the ban. An operator's
//     ban (Network.Ban) is enforced against everyone.
//
// The set is Config.ProtectedPeers and Config.StaticPeers at start, then
// Host.SetProtected / MemHost.SetProtected as the producer set changes.

// setProtected marks or unmarks p as protected.
func (h *hub) setProtected(p PeerID, on bool) {
	h.protMu.Lock()
	defer h.protMu.Unlock()
	if on {
		h.protected[p] = true
	} else {
		delete(h.protected, p)
	}
}

// isProtected reports whether p is protected.
func (h *hub) isProtected(p PeerID) bool {
	h.protMu.RLock()
	defer h.protMu.RUnlock()
	return h.protected[p]
}

// refusedLocked returns the ban that keeps p out, if any: any ban for an
// unprotected peer, an operator's ban for a protected one.
func (h *hub) refusedLocked(p PeerID, now time.Time) (Ban, bool) {
	b, ok := h.scores.banned(p, now)
	if !ok || (!b.Operator && h.isProtected(p)) {
		return Ban{}, false
	}
	return b, true
}

// SetProtected protects p (a producer of the set in force) or lifts that
// protection; see protect.go for what protection means. node/ calls it
// when the producer set changes.
func (h *MemHost) SetProtected(p PeerID, on bool) { h.setProtected(p, on) }
