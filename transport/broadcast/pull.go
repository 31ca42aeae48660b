package broadcast

import "time"

// handleIHave records announced digests we have not seen; each is pulled
// if its body has not arrived by eager push within GraftTimeout (at once
// if someone subscribed to it).
func (e *Engine) handleIHave(now time.Time, from NodeID, h *IHave) {
	for _, a := range h.Items {
		if e.seen.get(a.Digest) != nil {
			continue
		}
		f := e.fetch.entries[a.Digest]
		if f == nil {
			if len(e.fetch.entries) >= e.cfg.MaxFetches {
				e.drop(ReasonAnnounceFlood)
				continue
			}
			f = &fetchEntry{origin: a.Origin, deadline: now.Add(e.cfg.GraftTimeout)}
			if len(e.waiters.byDigest[a.Digest]) > 0 {
				f.deadline = now
			}
			e.fetch.entries[a.Digest] = f
		}
		if len(f.announcers) >= maxAnnouncers || containsID(f.announcers, from) {
			continue
		}
		if e.fetch.announced[from] >= e.cfg.MaxAnnouncedPerPeer {
			e.penalize(from, fault(ReasonAnnounceFlood, "%d digests announced and pending", e.fetch.announced[from]))
			if len(f.announcers) == 0 {
				delete(e.fetch.entries, a.Digest)
			}
			return
		}
		f.announcers = append(f.announcers, from)
		e.fetch.announced[from]++
		if !f.asking && !now.Before(f.deadline) {
			e.advanceFetch(now, a.Digest, f)
		}
	}
}

func containsID(ids []NodeID, id NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// advanceFetch is called when f's deadline passed: a pull that timed out
// blames its peer (it announced what it did not serve), then the next
// announcer with room for another pull is asked, with the graft flag so
// that its link joins the origin's tree. After MaxPullTries, or with no
// announcer left, the digest is given up.
func (e *Engine) advanceFetch(now time.Time, d Digest, f *fetchEntry) {
	if f.asking {
		e.penalize(f.asked, fault(ReasonBrokenPromise, "announced %s, no answer in %s", d, e.cfg.PullTimeout))
		e.fetch.stopAsking(f)
	}
	for f.tries < e.cfg.MaxPullTries && f.next < len(f.announcers) {
		p := f.announcers[f.next]
		if !e.links[p] {
			f.next++
			continue
		}
		if e.fetch.inflight[p] >= e.cfg.MaxInflightPerPeer {
			f.deadline = now.Add(e.cfg.GraftTimeout) // try again when pulls drain
			return
		}
		f.next++
		f.asking, f.asked = true, p
		f.deadline = now.Add(e.cfg.PullTimeout)
		e.fetch.inflight[p]++
		e.fetch.requested[reqKey{p, d}] = now.Add(2 * e.cfg.PullTimeout)
		e.trees.setEager(now, f.origin, p)
		e.rd.Messages = append(e.rd.Messages, Outgoing{To: p, Lane: LaneControl, Frame: &Pull{Graft: true, Origin: f.origin, Digest: d}})
		e.stats.PullsSent++
		e.stats.GraftsSent++
		return
	}
	e.stats.PullsFailed++
	e.fetch.done(d)
}

// handlePull serves a pull from the cache within the serve limits; with
// the graft flag the link turns eager for the origin (Plumtree's GRAFT).
func (e *Engine) handlePull(now time.Time, from NodeID, p *Pull) {
	if p.Graft {
		e.trees.setEager(now, p.Origin, from)
	}
	m := e.cache.get(p.Digest)
	cost := missingLen
	if m != nil {
		cost = pushFixedLen + len(m.Payload)
	}
	if !e.serve.allow(now, from, p.Digest, cost) {
		e.stats.PullsRefused++
		e.penalize(from, fault(ReasonPullFlood, "pull of %s over MaxServes or the serve budget", p.Digest))
		return
	}
	if m == nil {
		e.stats.PullsMissing++
		e.rd.Messages = append(e.rd.Messages, Outgoing{To: from, Lane: LaneControl, Frame: &Missing{Digest: p.Digest}})
		return
	}
	e.stats.PullsServed++
	e.push(from, &Push{Reply: true, Scope: ScopeNetwork, Msg: m})
}

// handleMissing: the peer we pulled from does not hold the message; ask
// the next announcer now rather than at the timeout.
func (e *Engine) handleMissing(now time.Time, from NodeID, m *Missing) {
	if !e.fetch.takeRequest(from, m.Digest) {
		e.penalize(from, fault(ReasonUnsolicited, "missing %s was not asked for", m.Digest))
		return
	}
	f := e.fetch.entries[m.Digest]
	if f == nil || !f.asking || f.asked != from {
		return // a late answer: we moved on
	}
	e.fetch.stopAsking(f)
	e.advanceFetch(now, m.Digest, f)
}
