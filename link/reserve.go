package link

import (
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// reserveThreshold is the size from which a received message reserves its
// memory from the resource manager. Smaller messages are bounded well
// enough by the lanes' limits, windows and rate limits; a large one (a
// block) is where many peers at once could exhaust memory.
const reserveThreshold = 1 << 20

// firstAlloc is the buffer a received message starts with; it grows ×4 as
// bytes arrive (so the copies stay under n/3 of the message).
const firstAlloc = readPiece

// Reservation priorities (libp2p's: a reservation succeeds while every
// scope it touches stays below (1+prio)/256 of its limit). Peers that are
// neither protected nor static may fill only reservePrioPeer of our
// protocol's memory; producers and static peers reserve with
// ReservationPriorityAlways, so the remaining fifth is always theirs
// (issue 11, attack 1). limits.go sizes the stream and peer scopes so that
// one largest message still fits at reservePrioPeer.
const (
	reservePrioPeer      = network.ReservationPriorityHigh
	reservePrioProtected = network.ReservationPriorityAlways
)

// reserveRetry is how often a refused reservation is retried while the
// reader waits for memory.
const reserveRetry = 50 * time.Millisecond

// memoryScope is the part of a libp2p resource scope that accounts
// memory: network.Stream.Scope() on libp2p, memBudget in memory.
type memoryScope interface {
	ReserveMemory(size int, prio uint8) error
	ReleaseMemory(size int)
}

var _ memoryScope = network.StreamScope(nil)

// scopeOf returns the memory scope of a lane stream, nil if it has none.
func scopeOf(st laneStream) memoryScope {
	switch x := st.(type) {
	case interface{ Scope() network.StreamScope }:
		return x.Scope()
	case *memStream:
		if x.budget != nil {
			return x.budget
		}
	}
	return nil
}

// recvBuf is a message being received. Its memory is allocated, and for
// a large message reserved from the resource manager, as the bytes arrive
// — never for the size the peer announced (issue 11, attack 1: a frame
// header announcing gigabytes used to reserve them all, pinning the
// node's budget for a few bytes). A peer therefore holds at most about
// four times what it really sent, and the stall watchdog (stall.go)
// charges and drops a peer whose message stops making progress.
type recvBuf struct {
	s        *session
	lane     Lane
	n        int // announced size
	b        []byte
	sc       memoryScope // nil: nothing to reserve
	reserved int
}

func (s *session) newRecvBuf(l Lane, n int) *recvBuf {
	r := &recvBuf{s: s, lane: l, n: n}
	if n >= reserveThreshold {
		r.sc = scopeOf(s.streams[l])
	}
	return r
}

// next returns room for the next k bytes of the message, growing (and
// reserving) the buffer first if needed. A reservation the resource
// manager refuses is retried until StallTimeout: the memory is held by
// other peers, whose stalled messages the watchdog reaps. Past that the
// link ends with ReasonResource, which is not the peer's fault.
func (r *recvBuf) next(k int) ([]byte, error) {
	b := r.b
	if cap(b)-len(b) < k {
		c := min(r.n, max(firstAlloc, 4*cap(b), len(b)+k))
		if err := r.reserve(c); err != nil {
			return nil, err
		}
		b = r.grow(b, c)
	}
	r.b = b[:len(b)+k]
	return r.b[len(b):], nil
}

// grow moves b into a buffer of capacity c. Buffers smaller than the
// message are intermediates, taken from and returned to the host's
// growPool (bufpool.go); the message's final buffer is always fresh, as
// the application keeps it.
func (r *recvBuf) grow(b []byte, c int) []byte {
	var nb []byte
	if c < r.n {
		nb = r.s.hub.grow.get(len(b), c)
	} else {
		nb = make([]byte, len(b), c)
	}
	copy(nb, b)
	r.recycle(b)
	return nb
}

// recycle returns b to the pool if it is an intermediate buffer.
func (r *recvBuf) recycle(b []byte) {
	if b != nil && cap(b) < r.n {
		r.s.hub.grow.put(b)
	}
}

// reserve raises the reservation to c bytes.
func (r *recvBuf) reserve(c int) error {
	if r.sc == nil || c <= r.reserved {
		return nil
	}
	s, need := r.s, c-r.reserved
	prio := reservePrioPeer
	if s.hub.isProtected(s.remote) {
		prio = reservePrioProtected
	}
	deadline := time.Now().Add(s.cfg.StallTimeout)
	for {
		err := r.sc.ReserveMemory(need, prio)
		if err == nil {
			r.reserved = c
			return nil
		}
		if !time.Now().Before(deadline) {
			s.mu.Lock()
			s.core.drop(r.lane, DropResource, 1)
			s.mu.Unlock()
			return &Error{Reason: ReasonResource, Detail: fmt.Sprintf("%d-byte message on lane %s: no memory for %s", r.n, r.lane, s.cfg.StallTimeout), Err: err}
		}
		// Waiting for memory is our doing, not the peer's stall.
		s.progressed(r.lane)
		t := time.NewTimer(reserveRetry)
		select {
		case <-t.C:
		case <-s.closing:
			t.Stop()
			return &Error{Reason: ReasonResource, Detail: "closed while waiting for memory", Err: err}
		}
	}
}

// take hands the complete message and its reservation over.
func (r *recvBuf) take() (msg []byte, release func()) {
	msg, sc, n := r.b, r.sc, r.reserved
	r.b, r.reserved = nil, 0
	if msg == nil {
		msg = []byte{} // an empty message is delivered as empty, not nil
	}
	if sc == nil || n == 0 {
		return msg, noRelease
	}
	return msg, func() { sc.ReleaseMemory(n) }
}

// free gives back the reservation (and an intermediate buffer) of a
// message that was not taken.
func (r *recvBuf) free() {
	r.recycle(r.b)
	r.b = nil
	if r.sc != nil && r.reserved > 0 {
		r.sc.ReleaseMemory(r.reserved)
		r.reserved = 0
	}
}

func noRelease() {}

// memBudget is the in-memory network's stand-in for the resource manager:
// one byte budget per host for the large messages it is receiving. It
// applies reservation priorities as libp2p does.
type memBudget struct {
	mu          sync.Mutex
	limit, used int
}

// errMemBudget is the in-memory network's refusal.
var errMemBudget = fmt.Errorf("link: MemConfig.ReceiveMemory exceeded: %w", network.ErrResourceLimitExceeded)

func (b *memBudget) ReserveMemory(size int, prio uint8) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if int64(b.used+size) > (1+int64(prio))*int64(b.limit)/256 {
		return errMemBudget
	}
	b.used += size
	return nil
}

func (b *memBudget) ReleaseMemory(size int) {
	b.mu.Lock()
	b.used -= size
	b.mu.Unlock()
}
