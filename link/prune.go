package link

import (
	"slices"
	"time"
)

// maxPeerRecords bounds what a host remembers about peers it is not
// linked to: last-disconnect records and scores (issue 11 review: every
// identity that ever connected stayed in memory, walked by every
// Network.Peers call and metrics scrape). Past it, the oldest records of
// unlinked peers are dropped, down to 3/4 of the bound, and likewise the
// least recently charged scores of unlinked, unbanned peers. Bans are
// kept until they expire: pruning must not let a banned identity back in.
const maxPeerRecords = 4096

// pruneLocked enforces maxPeerRecords; called with mu held after a
// record or score was added. Dropping a negative score forgives it, which
// gains an attacker nothing: fresh identities cost it as little.
func (h *hub) pruneLocked() {
	if len(h.records) > maxPeerRecords {
		var old []aged
		for p, r := range h.records {
			if h.links[p] == nil {
				old = append(old, aged{p, r.at})
			}
		}
		for _, p := range oldest(old, len(h.records)-maxPeerRecords*3/4) {
			delete(h.records, p)
		}
	}
	if len(h.scores.score) > maxPeerRecords {
		var old []aged
		for p, ps := range h.scores.score {
			if _, banned := h.scores.bans[p]; !banned && h.links[p] == nil {
				old = append(old, aged{p, ps.updated})
			}
		}
		for _, p := range oldest(old, len(h.scores.score)-maxPeerRecords*3/4) {
			delete(h.scores.score, p)
		}
	}
}

type aged struct {
	p  PeerID
	at time.Time
}

// oldest returns the n (at most) peers of as with the oldest times.
func oldest(as []aged, n int) []PeerID {
	slices.SortFunc(as, func(a, b aged) int { return a.at.Compare(b.at) })
	out := make([]PeerID, 0, max(0, min(n, len(as))))
	for _, a := range as[:cap(out)] {
		out = append(out, a.p)
	}
	return out
}
