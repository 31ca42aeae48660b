package broadcast

import (
	"slices"
	"time"
)

// maxAnnouncers bounds the peers remembered per announced digest; pulls
// try them in the order they announced.
const maxAnnouncers = 8

// fetchEntry is a digest announced to us and not yet received.
//
// Invariant: asking implies asked is in announcers[:next] and counted in
// fetcher.inflight[asked].
type fetchEntry struct {
	origin     NodeID
	announcers []NodeID
	next       int // announcers[next] is the next one to pull from
	tries      int
	asking     bool
	asked      NodeID
	deadline   time.Time
}

type reqKey struct {
	peer NodeID
	d    Digest
}

// fetcher is pull-on-miss: what was announced, who is being asked, which
// replies we expect.
//
// Invariant: inflight[p] is the number of entries asking p; announced[p]
// the number of entries p is an announcer of.
type fetcher struct {
	entries   map[Digest]*fetchEntry
	announced map[NodeID]int
	inflight  map[NodeID]int
	// requested are the pulls whose reply is still welcome, until the
	// time given (a reply after a timeout is late, not unsolicited).
	requested map[reqKey]time.Time
}

func newFetcher() *fetcher {
	return &fetcher{entries: map[Digest]*fetchEntry{}, announced: map[NodeID]int{},
		inflight: map[NodeID]int{}, requested: map[reqKey]time.Time{}}
}

// done forgets d: it arrived, or we gave up.
func (f *fetcher) done(d Digest) {
	e := f.entries[d]
	if e == nil {
		return
	}
	if e.asking {
		f.inflight[e.asked]--
		if f.inflight[e.asked] == 0 {
			delete(f.inflight, e.asked)
		}
	}
	for _, p := range e.announcers {
		f.announced[p]--
		if f.announced[p] == 0 {
			delete(f.announced, p)
		}
	}
	delete(f.entries, d)
}

// stopAsking clears e's outstanding pull (timed out, or answered Missing).
func (f *fetcher) stopAsking(e *fetchEntry) {
	if !e.asking {
		return
	}
	e.asking = false
	e.tries++
	f.inflight[e.asked]--
	if f.inflight[e.asked] == 0 {
		delete(f.inflight, e.asked)
	}
}

// takeRequest reports whether a reply about d from peer was asked for, and
// forgets the request.
func (f *fetcher) takeRequest(peer NodeID, d Digest) bool {
	k := reqKey{peer, d}
	if _, ok := f.requested[k]; !ok {
		return false
	}
	delete(f.requested, k)
	return true
}

// due lists the digests whose deadline has passed, sorted (deterministic).
func (f *fetcher) due(now time.Time) []Digest {
	var out []Digest
	for d, e := range f.entries {
		if !now.Before(e.deadline) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Digest) int { return slices.Compare(a[:], b[:]) })
	return out
}

// nextDeadline is the earliest entry deadline, or zero.
func (f *fetcher) nextDeadline() time.Time {
	var t time.Time
	for _, e := range f.entries {
		if t.IsZero() || e.deadline.Before(t) {
			t = e.deadline
		}
	}
	return t
}

// expireRequests forgets requests whose replies would now be late.
func (f *fetcher) expireRequests(now time.Time) {
	for k, until := range f.requested {
		if !now.Before(until) {
			delete(f.requested, k)
		}
	}
}

// dropPeer forgets a closed link: its pulls are retried elsewhere at once.
func (f *fetcher) dropPeer(now time.Time, peer NodeID) {
	for _, e := range f.entries {
		if e.asking && e.asked == peer {
			f.stopAsking(e)
			e.deadline = now
		}
	}
	for k := range f.requested {
		if k.peer == peer {
			delete(f.requested, k)
		}
	}
}
