package pex

import (
	"slices"
	"time"
)

// Tick advances time: it expires unanswered requests, dials toward
// TargetPeers, asks for addresses while candidates are short, and sheds
// links above MaxPeers. Every other input calls it too.
func (b *Book) Tick(now time.Time) {
	for _, l := range b.links {
		if l.awaiting && now.Sub(l.lastAsked) >= b.cfg.RequestTimeout {
			l.awaiting = false
		}
	}
	if len(b.links) >= b.cfg.TargetPeers && b.reachedAt.IsZero() {
		b.reachedAt = now
	}
	b.dial(now)
	b.ask(now)
	b.shed(now)
	b.rd.Deadline = b.deadline(now)
}

// dial starts dials while links plus dials in flight are below the target.
// It prefers verified entries (7 in 10 when both kinds are there, as
// CometBFT's 30% bias toward new addresses), and seeds only when nothing
// else is dialable: seeds are for bootstrapping, not for holding.
func (b *Book) dial(now time.Time) {
	for len(b.links)+b.dialing < b.cfg.TargetPeers && b.dialing < b.cfg.MaxDialing {
		var verified, fresh, seeds []*entry
		for _, id := range sortedIDs(b.entries) {
			e := b.entries[id]
			if e.dialing || e.kind == KindStatic || b.links[id] != nil || now.Before(e.nextDial) {
				continue
			}
			switch {
			case e.kind == KindSeed:
				seeds = append(seeds, e)
			case e.verified:
				verified = append(verified, e)
			default:
				fresh = append(fresh, e)
			}
		}
		pool := seeds
		switch {
		case len(verified) > 0 && (len(fresh) == 0 || b.cfg.Rand.IntN(10) < 7):
			pool = verified
		case len(fresh) > 0:
			pool = fresh
		}
		if len(pool) == 0 {
			return
		}
		e := pool[b.cfg.Rand.IntN(len(pool))]
		e.dialing = true
		b.dialing++
		b.stats.DialsStarted++
		b.rd.Dials = append(b.rd.Dials, Dial{ID: e.id, Addrs: slices.Clone(e.addrs)})
	}
}

// candidates counts entries we could dial now or after their backoff
// (seeds and static peers aside).
func (b *Book) candidates() int {
	n := 0
	for id, e := range b.entries {
		if e.kind == KindLearned && b.links[id] == nil {
			n++
		}
	}
	return n
}

// ask sends a request on every link not asked within RequestInterval while
// the book holds fewer than NeedCandidates candidates.
func (b *Book) ask(now time.Time) {
	if b.candidates() >= b.cfg.need() {
		return
	}
	for _, id := range sortedIDs(b.links) {
		l := b.links[id]
		if l.awaiting || l.closing || now.Before(l.nextAsk) {
			continue
		}
		l.awaiting, l.lastAsked, l.nextAsk = true, now, now.Add(b.cfg.RequestInterval)
		b.stats.RequestsSent++
		b.send(id, Msg{Type: TypeRequest})
	}
}

// shed closes random inbound links, neither exempt nor younger than
// ShedGrace, while more than MaxPeers links are up.
func (b *Book) shed(now time.Time) {
	open := 0
	var pool []PeerID
	for _, id := range sortedIDs(b.links) {
		l := b.links[id]
		if l.closing {
			continue
		}
		open++
		// Shed a link only once it got addresses from us (a seed's
		// answer is what the peer came for), or after 4 graces.
		age := now.Sub(l.since)
		if l.inbound && !l.exempt && age >= b.cfg.ShedGrace && (l.served || age >= 4*b.cfg.ShedGrace) {
			pool = append(pool, id)
		}
	}
	for open > b.cfg.MaxPeers && len(pool) > 0 {
		i := b.cfg.Rand.IntN(len(pool))
		id := pool[i]
		pool = slices.Delete(pool, i, i+1)
		b.links[id].closing = true
		open--
		b.stats.Shed++
		b.rd.Closes = append(b.rd.Closes, Close{Peer: id, Reason: CloseFull})
	}
}

// deadline is the next time Tick has work: a backoff ending while we
// dial, a request to resend or expire, a link leaving its shed grace.
func (b *Book) deadline(now time.Time) time.Time {
	next := now.Add(b.cfg.RequestInterval)
	at := func(t time.Time) {
		if t.After(now) && t.Before(next) {
			next = t
		}
	}
	if len(b.links)+b.dialing < b.cfg.TargetPeers {
		for _, e := range b.entries {
			at(e.nextDial)
		}
	}
	for _, l := range b.links {
		if l.awaiting {
			at(l.lastAsked.Add(b.cfg.RequestTimeout))
		} else {
			at(l.nextAsk)
		}
		if len(b.links) > b.cfg.MaxPeers && l.inbound {
			at(l.since.Add(b.cfg.ShedGrace))
			at(l.since.Add(4 * b.cfg.ShedGrace))
		}
	}
	return next
}

// HasReady reports whether Ready has outputs to perform.
func (b *Book) HasReady() bool { return !b.rd.empty() }

// Ready returns the outputs since the last Advance (Deadline is always
// set). The slices are the book's until Advance.
func (b *Book) Ready() Ready { return b.rd }

// Advance discards the outputs Ready returned.
func (b *Book) Advance() { b.rd = Ready{Deadline: b.rd.Deadline} }

// Entries lists the book, sorted by id.
func (b *Book) Entries() []EntryInfo {
	out := make([]EntryInfo, 0, len(b.entries))
	for _, id := range sortedIDs(b.entries) {
		out = append(out, b.entries[id].info(b.links[id]))
	}
	return out
}

// Dropped lists the last MaxDropped entries let go, oldest first.
func (b *Book) Dropped() []Dropped { return slices.Clone(b.dropped) }

// Status summarises the book.
func (b *Book) Status() Status {
	s := Status{Target: b.cfg.TargetPeers, Max: b.cfg.MaxPeers, Peers: len(b.links), Entries: len(b.entries),
		Dialing: b.dialing, Started: b.started, ReachedAt: b.reachedAt, ReachedAfterMs: -1, Stats: b.stats}
	for _, e := range b.entries {
		if e.verified {
			s.Verified++
		}
	}
	if !b.reachedAt.IsZero() {
		s.ReachedAfterMs = b.reachedAt.Sub(b.started).Milliseconds()
	}
	return s
}
