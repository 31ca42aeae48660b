package link

import (
	"math/bits"
	"sync"
)

// growPool recycles the intermediate buffers a large received message
// grows through (reserve.go): firstAlloc, ×4, ×4 ... below the message's
// size. Without it every block allocated and zeroed (or page-faulted in)
// about a third of its size again in buffers that lived for a few
// milliseconds: 21 MiB for a 64 MiB block, on top of the 64 MiB the block
// itself needs.
//
// Ownership: a buffer comes from the pool only while a message is still
// incomplete, lives in the lane's reader alone, and goes back as soon as
// its bytes are copied into the next, larger buffer (or the message is
// abandoned). The buffer of a complete message — the one Receive gets —
// is always freshly allocated and is the application's for good: nothing
// handed to Receive is ever recycled, so callers may keep and alias
// messages (blocksync's decoded blocks do). The pool is per host, never
// package state, and sync.Pool lets the garbage collector empty it.
type growPool struct {
	class [growClasses]sync.Pool // of *[]byte, cap firstAlloc<<(2*i)
}

// growClasses covers intermediate buffers up to firstAlloc<<40, far
// above any message size a lane accepts.
const growClasses = 21

// classOf returns the pool index of an intermediate buffer of capacity c,
// or -1 if c is not a pooled size.
func classOf(c int) int {
	if c < firstAlloc || c%firstAlloc != 0 {
		return -1
	}
	q := uint(c / firstAlloc)
	if q&(q-1) != 0 { // not a power of 2
		return -1
	}
	k := bits.TrailingZeros(q)
	if k%2 != 0 || k/2 >= growClasses { // not a power of 4
		return -1
	}
	return k / 2
}

// get returns a buffer of length n and capacity c, with unspecified
// contents (the caller overwrites every byte it later reads), from the pool
// if c is a pooled class.
func (p *growPool) get(n, c int) []byte {
	i := classOf(c)
	if i < 0 {
		return make([]byte, n, c)
	}
	if b, ok := p.class[i].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, c)
}

// put recycles b if its capacity is a pooled class; the caller must not
// use b afterwards.
func (p *growPool) put(b []byte) {
	i := classOf(cap(b))
	if i < 0 {
		return
	}
	b = b[:0]
	p.class[i].Put(&b)
}
