package submit

import (
	"time"

	"github.com/blockwire/blockwire/transport/route"
)

// RetryDelay spaces the attempts of a submit that a producer answered
// with "no leader": a leader election takes a few hundred milliseconds.
const RetryDelay = 100 * time.Millisecond

// MaxRetries bounds the re-sends of a submit whose first hop closed;
// MaxRedirects the answers naming another leader that are followed at
// once.
const (
	MaxRetries   = 2
	MaxRedirects = 3
)

// Attempt is one transaction on its way to a producer: where it went and
// how many re-sends and redirects it used. Its methods decide what
// follows each event; the caller sends and answers.
type Attempt struct {
	// Dest is the producer it went to; Leader, when set, the leader a
	// producer named in a "not the leader" answer (tried next).
	Dest, Leader route.NodeID
	// Retries counts re-sends after the first hop's link closed,
	// Redirects the answers that named another leader.
	Retries, Redirects int
	// Start is when the attempt began.
	Start time.Time
}

// Next is what follows a producer's answer.
type Next uint8

// What follows an answer.
const (
	// Finish: answer the submitter with the producer's code.
	Finish Next = iota
	// Redirect: send again at once, to the leader the producer named.
	Redirect
	// Retry: no leader; try again later if RetryAt allows, else finish.
	Retry
)

// Answered decides what follows answer a. A "not the leader" answer that
// names another leader is followed at once (at most MaxRedirects times);
// one without a leader (an election) is retried later.
func (at *Attempt) Answered(a *Answer) Next {
	if a.Code != NoProducer {
		return Finish
	}
	at.Leader = route.NodeID{}
	if a.Leader != (route.NodeID{}) && a.Leader != at.Dest && at.Redirects < MaxRedirects {
		at.Leader = a.Leader
		at.Redirects++
		return Redirect
	}
	return Retry
}

// RetryAt is when to send again after no producer took the submit, while
// the whole attempt stays within budget; false when it may not (only an
// attempt someone waits for, persistent, is retried).
func (at *Attempt) RetryAt(now time.Time, persistent bool, budget time.Duration) (time.Time, bool) {
	if !persistent || now.Add(RetryDelay).Sub(at.Start) >= budget {
		return time.Time{}, false
	}
	return now.Add(RetryDelay), true
}

// LinkClosed decides whether to send again after the link to the first
// hop closed (the answer would have come back through it): a persistent
// attempt, at most MaxRetries times.
func (at *Attempt) LinkClosed(persistent bool) bool {
	if !persistent || at.Retries >= MaxRetries {
		return false
	}
	at.Retries++
	return true
}

// Dest picks the producer to send to: the leader a producer named (hint),
// else the leader as this node knows it (leader), else the lowest of the
// producers it has a route to (that one answers with the leader's name,
// or that there is none). A leader without a route (dead, or its route
// reconverging) is passed over for a producer we can reach; self is never
// chosen. False when no producer is reachable. Zero ids mean none.
func Dest(producers []route.NodeID, self, hint, leader route.NodeID, routed func(route.NodeID) bool) (route.NodeID, bool) {
	var low route.NodeID
	found := false
	for _, id := range producers {
		if id != self && routed(id) && (!found || id.Less(low)) {
			low, found = id, true
		}
	}
	if !found {
		return route.NodeID{}, false
	}
	for _, id := range []route.NodeID{hint, leader} {
		if id != (route.NodeID{}) && id != self && routed(id) {
			return id, true
		}
	}
	return low, true
}
