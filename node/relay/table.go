package relay

import (
	"container/heap"
	"fmt"
	"time"
)

// Config bounds what a node relays for its peers.
type Config struct {
	// MaxPerOrigin bounds the submits relayed for one peer and not yet
	// answered: past it the peer's submits are refused. A correct peer
	// needs about its submit rate times the leader's answer time (plus an
	// election's length while the leader is unknown); at least 1.
	MaxPerOrigin int
	// MaxHops is the local hop limit: a peer's hop count is clamped to it,
	// so a peer cannot make us forward further than we would ourselves.
	MaxHops uint8
}

// DefaultConfig allows 4096 outstanding relays per peer (10,000 tx/s over
// a 400 ms answer time) and 3 hops.
func DefaultConfig() Config { return Config{MaxPerOrigin: 4096, MaxHops: 3} }

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.MaxPerOrigin < 1 {
		return fmt.Errorf("relay: Config.MaxPerOrigin %d, want ≥ 1", c.MaxPerOrigin)
	}
	return nil
}

// ClampHops returns the hop count a relayed submit carries on: the peer's
// clamped to the local limit, less one (never more than a local submit
// has after its first hop). ok is false when the count is spent (answer
// "hop limit reached").
func (c Config) ClampHops(peer uint8) (next uint8, ok bool) {
	if peer == 0 || c.MaxHops == 0 {
		return 0, false
	}
	return min(peer, c.MaxHops) - 1, true
}

// Table holds the outstanding submits. P identifies a link (comparable:
// the driver's link handle), V is the driver's record of a submit.
type Table[P comparable, V any] struct {
	cfg  Config
	byID map[uint64]*entry[P, V]
	// due orders byID's entries by deadline. Invariant: the same entries
	// as byID, each entry's index its position.
	due dueHeap[P, V]
	// byVia indexes byID by the link each submit went out on.
	byVia map[P]map[uint64]*entry[P, V]
	// origins counts the relayed (non-local) entries per origin.
	// Invariant: origins[p] = |{e in byID : e.relayed && e.origin == p}|,
	// no zero counts.
	origins map[P]int
	// over marks origins refused since their count was last below half
	// of MaxPerOrigin: one charge per overflow.
	over map[P]bool
	// later holds local submits waiting to be sent again, by time.
	later laterHeap[V]
}

type entry[P comparable, V any] struct {
	id       uint64
	via      P
	origin   P
	relayed  bool
	deadline time.Time
	index    int
	v        V
}

// New returns an empty table; cfg must be valid.
func New[P comparable, V any](cfg Config) (*Table[P, V], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Table[P, V]{
		cfg: cfg, byID: map[uint64]*entry[P, V]{}, byVia: map[P]map[uint64]*entry[P, V]{},
		origins: map[P]int{}, over: map[P]bool{},
	}, nil
}

// Config returns the table's bounds.
func (t *Table[P, V]) Config() Config { return t.cfg }

// Len returns the number of outstanding submits.
func (t *Table[P, V]) Len() int { return len(t.byID) }

// Relaying returns the outstanding submits relayed for origin.
func (t *Table[P, V]) Relaying(origin P) int { return t.origins[origin] }

// Admit reports whether a submit from origin may be relayed; when not,
// charge is true for the first refusal of an overflow (the driver charges
// the peer then, not for every refused submit).
func (t *Table[P, V]) Admit(origin P) (ok, charge bool) {
	if t.origins[origin] < t.cfg.MaxPerOrigin {
		return true, false
	}
	if t.over[origin] {
		return false, false
	}
	t.over[origin] = true
	return false, true
}

// Add records a submit sent over via with our id; origin is the peer we
// relay for when relayed is set. An id already present is replaced.
func (t *Table[P, V]) Add(id uint64, via, origin P, relayed bool, deadline time.Time, v V) {
	t.Take(id)
	e := &entry[P, V]{id: id, via: via, origin: origin, relayed: relayed, deadline: deadline, v: v}
	t.byID[id] = e
	heap.Push(&t.due, e)
	m := t.byVia[via]
	if m == nil {
		m = map[uint64]*entry[P, V]{}
		t.byVia[via] = m
	}
	m[id] = e
	if relayed {
		t.origins[origin]++
	}
}

// Get returns the submit with id and the link it went out on.
func (t *Table[P, V]) Get(id uint64) (v V, via P, ok bool) {
	e := t.byID[id]
	if e == nil {
		return v, via, false
	}
	return e.v, e.via, true
}

// Take removes the submit with id; via is the link it went out on.
func (t *Table[P, V]) Take(id uint64) (v V, via P, ok bool) {
	e := t.byID[id]
	if e == nil {
		return v, via, false
	}
	heap.Remove(&t.due, e.index)
	t.unindex(e)
	return e.v, e.via, true
}

// unindex removes e from every index but the heap.
func (t *Table[P, V]) unindex(e *entry[P, V]) {
	delete(t.byID, e.id)
	if m := t.byVia[e.via]; m != nil {
		delete(m, e.id)
		if len(m) == 0 {
			delete(t.byVia, e.via)
		}
	}
	if !e.relayed {
		return
	}
	t.origins[e.origin]--
	if t.origins[e.origin] <= 0 {
		delete(t.origins, e.origin)
	}
	if t.origins[e.origin] <= t.cfg.MaxPerOrigin/2 {
		delete(t.over, e.origin)
	}
}

// Expired removes and returns the submits whose deadline is at or before
// now, earliest first.
func (t *Table[P, V]) Expired(now time.Time) []V {
	var out []V
	for len(t.due) > 0 && !t.due[0].deadline.After(now) {
		e := heap.Pop(&t.due).(*entry[P, V])
		t.unindex(e)
		out = append(out, e.v)
	}
	return out
}

// TakeVia removes and returns the submits sent over via, in no particular
// order (the driver treats them alike).
func (t *Table[P, V]) TakeVia(via P) []V {
	m := t.byVia[via]
	out := make([]V, 0, len(m))
	for _, e := range m {
		heap.Remove(&t.due, e.index)
		t.unindex(e)
		out = append(out, e.v)
	}
	return out
}

// Forget drops what the table knows about a peer that went away: its
// overflow mark. Its outstanding relays stay until answered or expired.
func (t *Table[P, V]) Forget(p P) { delete(t.over, p) }

// All removes and returns every outstanding and every later submit (the
// driver stopping).
func (t *Table[P, V]) All() (out, later []V) {
	for _, e := range t.byID {
		out = append(out, e.v)
	}
	for _, l := range t.later {
		later = append(later, l.v)
	}
	clear(t.byID)
	clear(t.byVia)
	clear(t.origins)
	t.due, t.later = t.due[:0], t.later[:0]
	return out, later
}

// Later queues a local submit to be sent again at when.
func (t *Table[P, V]) Later(when time.Time, v V) {
	heap.Push(&t.later, &laterEntry[V]{at: when, v: v})
}

// Due removes and returns the later submits due at or before now, earliest
// first.
func (t *Table[P, V]) Due(now time.Time) []V {
	var out []V
	for len(t.later) > 0 && !t.later[0].at.After(now) {
		out = append(out, heap.Pop(&t.later).(*laterEntry[V]).v)
	}
	return out
}

// Deadline returns the earliest deadline or later time, or the zero time
// when the table is empty.
func (t *Table[P, V]) Deadline() time.Time {
	var d time.Time
	if len(t.due) > 0 {
		d = t.due[0].deadline
	}
	if len(t.later) > 0 && (d.IsZero() || t.later[0].at.Before(d)) {
		d = t.later[0].at
	}
	return d
}
