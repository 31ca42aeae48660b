package broadcast

import "time"

// state is what we decided about a seen digest.
type state uint8

const (
	stAccepted state = iota + 1
	stIgnored
	stRejected
	stDeferred
)

// seenEntry is one digest of the seen-set: no body, only the verdict and
// when it was last seen.
type seenEntry struct {
	state state
	last  time.Time
}

// seenRecord is one (digest, time) in expiry order; a record is stale when
// the entry's last-seen time has moved on since.
type seenRecord struct {
	d  Digest
	at time.Time
}

// seen is the seen-set: digests and verdicts only (jvm-libp2p#300 kept
// bodies and ran out of memory), last-seen expiry (pubsub#502), bounded by
// count.
//
// Invariant: every entry has a record in order with at == entry.last;
// len(order) <= 2 × max + 1 (compact rewrites it).
type seen struct {
	ttl     time.Duration
	max     int
	entries map[Digest]*seenEntry
	order   []seenRecord
}

func newSeen(ttl time.Duration, max int) *seen {
	return &seen{ttl: ttl, max: max, entries: map[Digest]*seenEntry{}}
}

func (s *seen) get(d Digest) *seenEntry { return s.entries[d] }

// touch refreshes d's last-seen time.
func (s *seen) touch(now time.Time, d Digest) {
	e := s.entries[d]
	if e == nil || !now.After(e.last) {
		return
	}
	e.last = now
	s.push(d, now)
}

// add records d with a state; over the bound the least recently seen
// digest is forgotten (a late copy of it is then refused as stale or, if
// still young, validated again: a cost, never a second delivery to the
// application within MaxAge... see doc.go).
func (s *seen) add(now time.Time, d Digest, st state) *seenEntry {
	if e := s.entries[d]; e != nil {
		e.state = st
		s.touch(now, d)
		return e
	}
	for len(s.entries) >= s.max && len(s.order) > 0 {
		s.popFront()
	}
	e := &seenEntry{state: st, last: now}
	s.entries[d] = e
	s.push(d, now)
	return e
}

func (s *seen) push(d Digest, now time.Time) {
	s.order = append(s.order, seenRecord{d: d, at: now})
	if len(s.order) > 2*s.max {
		s.compact()
	}
}

// popFront drops the oldest record and its entry if the record is current.
func (s *seen) popFront() {
	r := s.order[0]
	s.order = s.order[1:]
	if e := s.entries[r.d]; e != nil && e.last.Equal(r.at) {
		delete(s.entries, r.d)
	}
}

// expire forgets digests not seen for ttl.
func (s *seen) expire(now time.Time) {
	for len(s.order) > 0 && now.Sub(s.order[0].at) >= s.ttl {
		s.popFront()
	}
}

// compact drops stale records.
func (s *seen) compact() {
	out := s.order[:0]
	for _, r := range s.order {
		if e := s.entries[r.d]; e != nil && e.last.Equal(r.at) {
			out = append(out, r)
		}
	}
	clear(s.order[len(out):])
	s.order = out
}
