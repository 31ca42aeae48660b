package link

import (
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/network"
)

// reserveThreshold is the size from which a received message reserves its
// memory before it is read. Smaller messages are bounded well enough by
// the lanes' limits, windows and rate limits; a large one (a block) is
// where many peers at once could exhaust memory.
const reserveThreshold = 1 << 20

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

func noRelease() {}

// reserve accounts n bytes of a message arriving on lane l against the
// stream's resource scope (on libp2p: stream, protocol, peer and system
// limits of the resource manager, sized in limits.go) before any of it is
// read, and returns the function that gives them back once the message
// was delivered. A refusal counts a DropResource on the lane and returns
// the *Error (ReasonResource) that ends the link: a lane delivers every
// message in order or ends, so the message cannot be skipped. It is not
// the peer's fault and costs no score.
func (s *session) reserve(l Lane, n int) (release func(), err error) {
	if n < reserveThreshold {
		return noRelease, nil
	}
	sc := scopeOf(s.streams[l])
	if sc == nil {
		return noRelease, nil
	}
	if err := sc.ReserveMemory(n, network.ReservationPriorityAlways); err != nil {
		s.mu.Lock()
		s.dropLocked(l, DropResource, 1)
		s.mu.Unlock()
		return nil, &Error{Reason: ReasonResource, Detail: fmt.Sprintf("%d-byte message on lane %s", n, l), Err: err}
	}
	return func() { sc.ReleaseMemory(n) }, nil
}

// memBudget is the in-memory network's stand-in for the resource manager:
// one byte budget per host for the large messages it is receiving.
type memBudget struct {
	mu          sync.Mutex
	limit, used int
}

// errMemBudget is the in-memory network's refusal.
var errMemBudget = fmt.Errorf("link: MemConfig.ReceiveMemory exceeded: %w", network.ErrResourceLimitExceeded)

func (b *memBudget) ReserveMemory(size int, _ uint8) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+size > b.limit {
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
