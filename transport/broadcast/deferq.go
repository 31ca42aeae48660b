package broadcast

import "time"

// deferred is a message a validator deferred, with the peer to blame if it
// is rejected later.
type deferred struct {
	from  NodeID
	scope Scope
	msg   *Message
	at    time.Time
}

// deferQueue holds deferred messages in arrival order, bounded by count and
// bytes (Config.MaxDeferred, DeferBytes) and by age (DeferTTL).
//
// Invariant: bytes is the sum of the items' sizes.
type deferQueue struct {
	items []deferred
	bytes int
}

func (q *deferQueue) push(it deferred) { q.items = append(q.items, it); q.bytes += it.msg.Size() }

// take empties the queue and returns what it held.
func (q *deferQueue) take() []deferred {
	items := q.items
	q.items, q.bytes = nil, 0
	return items
}
