package fanout

import (
	"sync"
	"sync/atomic"
)

// Hub fans values out to its subscriptions. The zero value is ready to
// use; a Hub must not be copied after first use.
type Hub[T any] struct {
	mu      sync.Mutex
	subs    map[*Sub[T]]struct{} // Invariant: every channel in subs is open.
	closed  bool
	dropped atomic.Uint64
}

// Sub receives a hub's values on C.
type Sub[T any] struct {
	c       chan T
	hub     *Hub[T]
	dropped atomic.Uint64
}

// Subscribe returns a subscription whose channel buffers buf values (at
// least 1). On a closed hub its channel is already closed.
func (h *Hub[T]) Subscribe(buf int) *Sub[T] {
	s := &Sub[T]{c: make(chan T, max(buf, 1)), hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.c)
		return s
	}
	if h.subs == nil {
		h.subs = map[*Sub[T]]struct{}{}
	}
	h.subs[s] = struct{}{}
	return s
}

// Publish offers v to every subscription without blocking: a full
// channel drops v for that subscription and counts it.
func (h *Hub[T]) Publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.c <- v:
		default:
			s.dropped.Add(1)
			h.dropped.Add(1)
		}
	}
}

// Close closes every subscription's channel; later subscriptions start
// closed and later values go nowhere.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		close(s.c)
		delete(h.subs, s)
	}
}

// Dropped counts values dropped over all subscriptions, closed ones
// included.
func (h *Hub[T]) Dropped() uint64 { return h.dropped.Load() }

// C delivers values in the order they were published. It is closed by
// Close (the subscription's or the hub's).
func (s *Sub[T]) C() <-chan T { return s.c }

// Dropped counts values lost because C was full.
func (s *Sub[T]) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C. Closing twice, or after the
// hub closed, does nothing.
func (s *Sub[T]) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.c)
	}
}
