package node

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// EventKind says what an Event reports.
type EventKind string

// Event kinds.
const (
	// EventHead: the best head changed (Block, Height; Removed counts the
	// blocks a fork switch took off the best chain).
	EventHead EventKind = "head"
	// EventIrreversible: the irreversible block advanced (Block, Height).
	EventIrreversible EventKind = "irreversible"
	// EventPeerConnected: a link came up (Peer).
	EventPeerConnected EventKind = "peer_connected"
	// EventPeerDisconnected: a link ended (Peer, Reason).
	EventPeerDisconnected EventKind = "peer_disconnected"
)

// Event is one notification from the node.
type Event struct {
	Kind    EventKind   `json:"kind"`
	Time    time.Time   `json:"time"`
	Block   block.ID    `json:"block,omitzero"`
	Height  uint64      `json:"height,omitempty"`
	Removed int         `json:"removed,omitempty"`
	Peer    link.PeerID `json:"peer,omitempty"`
	// Reason is why a peer disconnected (link.Reason, or blocksync's reason
	// when the node closed the link), with detail.
	Reason string `json:"reason,omitempty"`
}

// Subscription receives events on C. The node never blocks on a
// subscriber: when C is full the event is dropped and counted in Dropped,
// so a slow subscriber loses events, not the node its liveness. Size the
// buffer for the bursts you expect (a head per block, a peer per link).
type Subscription struct {
	c       chan Event
	hub     *eventHub
	dropped atomic.Uint64
}

// C delivers events in the order the node produced them. It is closed by
// Close and when the node stops.
func (s *Subscription) C() <-chan Event { return s.c }

// Dropped counts events lost because C was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C.
func (s *Subscription) Close() { s.hub.remove(s) }

type eventHub struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

func newEventHub() *eventHub { return &eventHub{subs: map[*Subscription]struct{}{}} }

// Subscribe returns a subscription whose channel buffers buf events (at
// least 1).
func (n *Node) Subscribe(buf int) *Subscription {
	s := &Subscription{c: make(chan Event, max(buf, 1)), hub: n.events}
	n.events.mu.Lock()
	defer n.events.mu.Unlock()
	if n.events.closed {
		close(s.c)
		return s
	}
	n.events.subs[s] = struct{}{}
	return s
}

func (h *eventHub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

func (h *eventHub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.c)
	}
}

func (h *eventHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		close(s.c)
		delete(h.subs, s)
	}
}
