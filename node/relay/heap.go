package relay

import "time"

// dueHeap is a min-heap of entries by deadline (container/heap), each
// entry knowing its index so that Take and TakeVia remove in O(log n).
type dueHeap[P comparable, V any] []*entry[P, V]

func (h dueHeap[P, V]) Len() int           { return len(h) }
func (h dueHeap[P, V]) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h dueHeap[P, V]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *dueHeap[P, V]) Push(x any) {
	e := x.(*entry[P, V])
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *dueHeap[P, V]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}

// laterHeap is a min-heap of submits to send again, by time.
type laterHeap[V any] []*laterEntry[V]

type laterEntry[V any] struct {
	at time.Time
	v  V
}

func (h laterHeap[V]) Len() int           { return len(h) }
func (h laterHeap[V]) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h laterHeap[V]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laterHeap[V]) Push(x any)        { *h = append(*h, x.(*laterEntry[V])) }
func (h *laterHeap[V]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
