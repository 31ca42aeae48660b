package relay

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkLoopIteration measures what the node's loop pays per iteration
// for relay bookkeeping with n submits outstanding: one submit sent, the
// timer armed (Deadline), one answered, the expired ones swept. The
// "scan" variant is the code before issue 11 (every iteration walked every
// outstanding submit, in armTimer and expireSubmits); "heap" is Table.
func BenchmarkLoopIteration(b *testing.B) {
	for _, n := range []int{100, 1000, 10000, 100000} {
		b.Run(fmt.Sprintf("heap/outstanding=%d", n), func(b *testing.B) {
			tb, _ := New[int, uint64](Config{MaxPerOrigin: 1 << 30, MaxHops: 3})
			for i := range uint64(n) {
				tb.Add(i, int(i%8), int(i%16), true, t0.Add(time.Hour+time.Duration(i)), i)
			}
			id := uint64(n)
			b.ResetTimer()
			for range b.N {
				tb.Add(id, int(id%8), int(id%16), true, t0.Add(time.Hour+time.Duration(id)), id)
				_ = tb.Deadline()
				tb.Take(id - uint64(n))
				_ = tb.Expired(t0)
				id++
			}
		})
		b.Run(fmt.Sprintf("scan/outstanding=%d", n), func(b *testing.B) {
			type out struct{ deadline time.Time }
			m := map[uint64]*out{}
			for i := range uint64(n) {
				m[i] = &out{deadline: t0.Add(time.Hour + time.Duration(i))}
			}
			id := uint64(n)
			b.ResetTimer()
			for range b.N {
				m[id] = &out{deadline: t0.Add(time.Hour + time.Duration(id))}
				var next time.Time
				for _, o := range m { // armTimer
					if next.IsZero() || o.deadline.Before(next) {
						next = o.deadline
					}
				}
				delete(m, id-uint64(n))
				for k, o := range m { // expireSubmits
					if !t0.Before(o.deadline) {
						delete(m, k)
					}
				}
				id++
			}
		})
	}
}
