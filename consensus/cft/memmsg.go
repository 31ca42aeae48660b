package cft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// ErrPayloadTooLarge is MemMessenger's refusal of a payload above its
// MaxPayload (the routed transport has its own typed error).
var ErrPayloadTooLarge = errors.New("cft: payload larger than the messenger's MaxPayload")

// MemNet is an in-memory network of Messengers for tests: the twin of the
// routed transport. Each message travels a path of hops (direct, or
// through relays set with Route); every hop adds its latency, may lose the
// message (Loss, drawn from a seeded source), and loses it for sure when
// cut. Cuts are checked when the message is sent and again when it would
// arrive, so a link cut mid-flight loses what was on it, as a route that
// dies does. Messages on different paths, or sent at the same instant,
// may arrive in any order.
//
// It uses only mutexes and timers (time.AfterFunc), so clusters on it run
// inside a testing/synctest bubble on virtual time; create it inside the
// bubble.
type MemNet struct {
	mu         sync.Mutex
	nodes      map[peer.ID]*MemMessenger
	latency    time.Duration
	pairLat    map[[2]peer.ID]time.Duration
	loss       float64
	rng        *rand.Rand
	cut        map[[2]peer.ID]bool
	routes     map[[2]peer.ID][]peer.ID
	maxPayload int
	drop       func(from, to peer.ID, payload []byte) bool

	// Sent, Delivered and Lost count messages (Lost: cut, dropped by Loss,
	// or the destination gone).
	Sent, Delivered, Lost int
}

// NewMemNet returns a network with no latency, loss, cuts or relays, whose
// messengers accept payloads up to maxPayload bytes; seed drives Loss.
func NewMemNet(seed uint64, maxPayload int) *MemNet {
	return &MemNet{
		nodes: map[peer.ID]*MemMessenger{}, pairLat: map[[2]peer.ID]time.Duration{},
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cut: map[[2]peer.ID]bool{},
		routes: map[[2]peer.ID][]peer.ID{}, maxPayload: maxPayload,
	}
}

func upair(a, b peer.ID) [2]peer.ID {
	if a > b {
		a, b = b, a
	}
	return [2]peer.ID{a, b}
}

// Messenger returns a new messenger for id, replacing any earlier one (a
// restarted node gets a fresh messenger; messages in flight to the old one
// are lost).
func (n *MemNet) Messenger(id peer.ID) *MemMessenger {
	n.mu.Lock()
	defer n.mu.Unlock()
	if old := n.nodes[id]; old != nil {
		old.closed = true
	}
	m := &MemMessenger{net: n, id: id}
	n.nodes[id] = m
	return m
}

// Impostor returns a messenger whose messages leave with origin as, but
// which is not registered: answers to as go to whatever messenger is
// registered under as (or are lost). Tests use it to play a peer that
// speaks as itself without running raft (an outsider, a full node, a
// removed producer) or a producer whose raft lies about its sender.
func (n *MemNet) Impostor(as peer.ID) *MemMessenger {
	return &MemMessenger{net: n, id: as, detached: true}
}

// SetLatency sets every hop's one-way delay (unless SetPairLatency set one).
func (n *MemNet) SetLatency(d time.Duration) { n.with(func() { n.latency = d }) }

// SetPairLatency sets the one-way delay of the hop between a and b.
func (n *MemNet) SetPairLatency(a, b peer.ID, d time.Duration) {
	n.with(func() { n.pairLat[upair(a, b)] = d })
}

// SetDrop sets a predicate that loses every message it returns true for
// (nil: none), checked when the message is sent.
func (n *MemNet) SetDrop(f func(from, to peer.ID, payload []byte) bool) {
	n.with(func() { n.drop = f })
}

// SetLoss sets the probability that a hop loses a message.
func (n *MemNet) SetLoss(p float64) { n.with(func() { n.loss = p }) }

// Cut cuts or heals the hop between a and b, in both directions.
func (n *MemNet) Cut(a, b peer.ID, cut bool) {
	n.with(func() {
		if cut {
			n.cut[upair(a, b)] = true
		} else {
			delete(n.cut, upair(a, b))
		}
	})
}

// Isolate cuts (or heals) every hop of id to every messenger known now.
func (n *MemNet) Isolate(id peer.ID, cut bool) {
	n.mu.Lock()
	var others []peer.ID
	for o := range n.nodes {
		if o != id {
			others = append(others, o)
		}
	}
	n.mu.Unlock()
	for _, o := range others {
		n.Cut(id, o, cut)
	}
}

// Route makes messages from a to b travel through the relays via, in
// order (b to a takes the reverse path); no relays: direct again.
func (n *MemNet) Route(a, b peer.ID, via ...peer.ID) {
	n.with(func() {
		if len(via) == 0 {
			delete(n.routes, [2]peer.ID{a, b})
			delete(n.routes, [2]peer.ID{b, a})
			return
		}
		rev := make([]peer.ID, len(via))
		for i, v := range via {
			rev[len(via)-1-i] = v
		}
		n.routes[[2]peer.ID{a, b}] = append([]peer.ID(nil), via...)
		n.routes[[2]peer.ID{b, a}] = rev
	})
}

// Stats returns the message counters.
func (n *MemNet) Stats() (sent, delivered, lost int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.Sent, n.Delivered, n.Lost
}

func (n *MemNet) with(f func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f()
}

// pathLocked is the hop sequence from a to b, both ends included.
func (n *MemNet) pathLocked(a, b peer.ID) []peer.ID {
	p := append([]peer.ID{a}, n.routes[[2]peer.ID{a, b}]...)
	return append(p, b)
}

// upLocked reports whether every hop of p is up and every relay runs.
func (n *MemNet) upLocked(p []peer.ID) bool {
	for i := 1; i < len(p); i++ {
		if n.cut[upair(p[i-1], p[i])] {
			return false
		}
		if r := n.nodes[p[i]]; i < len(p)-1 && (r == nil || r.closed) {
			return false
		}
	}
	return true
}

// MemMessenger is one node's Messenger on a MemNet.
type MemMessenger struct {
	net      *MemNet
	id       peer.ID
	handler  func(peer.ID, []byte) // under net.mu
	closed   bool                  // under net.mu
	detached bool                  // an Impostor: SetHandler does nothing
}

var _ Messenger = (*MemMessenger)(nil)

// MaxPayload is the network's payload limit.
func (m *MemMessenger) MaxPayload() int { return m.net.maxPayload }

// SetHandler sets the receiving function.
func (m *MemMessenger) SetHandler(h func(from peer.ID, payload []byte)) {
	if !m.detached {
		m.net.with(func() { m.handler = h })
	}
}

// Close stops sending and receiving; messages to it are lost.
func (m *MemMessenger) Close() { m.net.with(func() { m.closed = true }) }

// Send copies payload and delivers it to to's handler after the path's
// latency, unless a hop loses it. Errors: closed, too large, unknown peer.
func (m *MemMessenger) Send(to peer.ID, payload []byte) error {
	n := m.net
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case m.closed:
		return fmt.Errorf("%w: messenger %s closed", ErrClosed, m.id)
	case len(payload) > n.maxPayload:
		return fmt.Errorf("%w: %d bytes, max %d", ErrPayloadTooLarge, len(payload), n.maxPayload)
	case n.nodes[to] == nil:
		return fmt.Errorf("%w: %s", ErrUnreachable, to)
	}
	n.Sent++
	path := n.pathLocked(m.id, to)
	var delay time.Duration
	for i := 1; i < len(path); i++ {
		d, ok := n.pairLat[upair(path[i-1], path[i])]
		if !ok {
			d = n.latency
		}
		delay += d
		if n.loss > 0 && n.rng.Float64() < n.loss {
			n.Lost++
			return nil
		}
	}
	if !n.upLocked(path) || (n.drop != nil && n.drop(m.id, to, payload)) {
		n.Lost++
		return nil
	}
	msg := append([]byte(nil), payload...)
	time.AfterFunc(delay, func() { n.deliver(m.id, path, msg) })
	return nil
}

func (n *MemNet) deliver(from peer.ID, path []peer.ID, msg []byte) {
	n.mu.Lock()
	dst := n.nodes[path[len(path)-1]]
	if !n.upLocked(path) || dst == nil || dst.closed || dst.handler == nil {
		n.Lost++
		n.mu.Unlock()
		return
	}
	n.Delivered++
	h := dst.handler
	n.mu.Unlock()
	h(from, msg)
}
