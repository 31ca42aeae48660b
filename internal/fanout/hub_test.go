package fanout

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// drain reads what is buffered in s without blocking.
func drain[T any](s *Sub[T]) []T {
	var out []T
	for {
		select {
		case v, ok := <-s.C():
			if !ok {
				return out
			}
			out = append(out, v)
		default:
			return out
		}
	}
}

// Every subscription gets every value, in publish order.
func TestEverySubscriberGetsEveryValueInOrder(t *testing.T) {
	var h Hub[int]
	a, b := h.Subscribe(8), h.Subscribe(8)
	for i := range 5 {
		h.Publish(i)
	}
	require.Equal(t, []int{0, 1, 2, 3, 4}, drain(a))
	require.Equal(t, []int{0, 1, 2, 3, 4}, drain(b))
	require.Zero(t, h.Dropped())
}

// The slow-subscriber rule: Publish never blocks; a full channel keeps
// the oldest values, drops the new one and counts it on the subscription
// and on the hub, while a subscriber with room still gets everything.
func TestAFullSubscriberLosesNewValuesAndTheOthersDoNot(t *testing.T) {
	var h Hub[int]
	slow, fast := h.Subscribe(2), h.Subscribe(10)
	for i := range 5 {
		h.Publish(i) // would deadlock here if Publish blocked on slow
	}
	require.Equal(t, []int{0, 1}, drain(slow), "the buffered values stay, the later ones are dropped")
	require.Equal(t, uint64(3), slow.Dropped())
	require.Equal(t, []int{0, 1, 2, 3, 4}, drain(fast))
	require.Zero(t, fast.Dropped())
	require.Equal(t, uint64(3), h.Dropped())

	h.Publish(5) // room again after the drain
	require.Equal(t, []int{5}, drain(slow))
}

// A buffer below 1 is raised to 1: an unbuffered channel would drop
// every value published while the reader is busy.
func TestSubscribeBuffersAtLeastOne(t *testing.T) {
	var h Hub[string]
	s := h.Subscribe(0)
	h.Publish("x")
	require.Equal(t, []string{"x"}, drain(s))
	require.Zero(t, s.Dropped())
}

// Close on a subscription closes its channel once and stops delivery to
// it; the hub's Close closes the rest, and a subscription taken after the
// hub closed starts closed.
func TestCloseClosesChannelsOnce(t *testing.T) {
	var h Hub[int]
	a, b := h.Subscribe(4), h.Subscribe(4)
	a.Close()
	a.Close() // idempotent
	h.Publish(1)
	_, open := <-a.C()
	require.False(t, open)
	require.Equal(t, []int{1}, drain(b))

	h.Close()
	_, open = <-b.C()
	require.False(t, open)
	b.Close() // after the hub closed: nothing to do, no panic
	h.Publish(2)

	late := h.Subscribe(4)
	_, open = <-late.C()
	require.False(t, open, "a subscription on a closed hub starts closed")
	h.Close() // idempotent
}

// Publish, Subscribe and Close from many goroutines (run with -race):
// each subscriber sees a strictly increasing sequence from one publisher,
// every value is either received or counted as dropped, and every channel
// ends closed (the readers' range loops end).
func TestConcurrentUse(t *testing.T) {
	var h Hub[int]
	const n, readers = 1000, 4
	type seen struct {
		ordered bool
		got     int
		dropped uint64
	}
	results := make([]seen, readers)
	var wg sync.WaitGroup
	for i := range readers {
		s := h.Subscribe(16)
		wg.Go(func() {
			last, r := -1, seen{ordered: true}
			for v := range s.C() {
				r.ordered = r.ordered && v > last
				last = v
				r.got++
			}
			r.dropped = s.Dropped()
			results[i] = r
		})
	}
	quit := make(chan struct{})
	wg.Go(func() { // subscribers that come and go while values flow
		for {
			select {
			case <-quit:
				return
			default:
				h.Subscribe(1).Close()
			}
		}
	})
	for i := range n {
		h.Publish(i)
	}
	close(quit)
	h.Close()
	wg.Wait()
	for i, r := range results {
		require.True(t, r.ordered, "reader %d saw values out of order", i)
		require.Equal(t, uint64(n), uint64(r.got)+r.dropped, "reader %d: every value is received or counted as dropped", i)
	}
}
