package attest

import (
	"container/heap"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// dueHeap is the in-memory twin of the durable schedule: (due, block)
// entries, earliest first. Entries are never updated in place; a block
// whose due time changes pushes a new entry and the old one is skipped
// when it surfaces (it no longer matches the block's State.Due).
type dueHeap []dueEntry

type dueEntry struct {
	due time.Time
	id  block.ID
}

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return string(h[i].id[:]) < string(h[j].id[:])
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// valid reports whether the entry is the block's current due time.
func (s *Scheduler) valid(d dueEntry) bool {
	e := s.blocks[d.id]
	return e != nil && e.st.Stalled == "" && e.st.Due.Equal(d.due)
}

// schedule records e's current due time in the heap, compacting the heap
// when stale entries outnumber live ones.
func (s *Scheduler) schedule(e *entry) {
	if e.st.Stalled != "" || e.st.Due.IsZero() {
		return
	}
	heap.Push(&s.due, dueEntry{due: e.st.Due, id: e.st.Block})
	if len(s.due) > 4*len(s.blocks)+64 {
		live := s.due[:0]
		for _, d := range s.due {
			if s.valid(d) {
				live = append(live, d)
			}
		}
		s.due = live
		heap.Init(&s.due)
	}
}

// deadline is the earliest due time, zero if nothing is scheduled.
func (s *Scheduler) deadline() time.Time {
	for len(s.due) > 0 {
		if s.valid(s.due[0]) {
			return s.due[0].due
		}
		heap.Pop(&s.due)
	}
	return time.Time{}
}

// popDue removes and returns the next block due at or before now.
func (s *Scheduler) popDue(now time.Time) (*entry, bool) {
	for len(s.due) > 0 {
		d := s.due[0]
		if !s.valid(d) {
			heap.Pop(&s.due)
			continue
		}
		if d.due.After(now) {
			return nil, false
		}
		heap.Pop(&s.due)
		return s.blocks[d.id], true
	}
	return nil, false
}

// ms truncates t to the millisecond precision of the wire and records, so
// a restarted scheduler sees exactly the times it stored.
func ms(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }
