package bftrun

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// ErrUnreachable is a MemMessenger send to a peer that has no messenger
// (crashed) or is cut off: the message was not queued.
var ErrUnreachable = errors.New("bftrun: peer unreachable")

// ErrTooLarge is a send above MaxPayload.
var ErrTooLarge = errors.New("bftrun: payload above MaxPayload")

// MemNetwork is the in-memory twin of the transport's consensus class: a
// network of MemMessengers with a one-way latency, random loss and
// partitions, all on a seeded source. Deliveries run on time.AfterFunc,
// so under testing/synctest they happen at exact virtual times. Safe for
// concurrent use.
type MemNetwork struct {
	mu      sync.Mutex
	nodes   map[peer.ID]*MemMessenger
	latency time.Duration
	loss    float64
	rng     *rand.Rand
	cut     map[[2]peer.ID]bool
	max     int
	hook    func(from, to peer.ID, payload []byte)
}

// NewMemNetwork returns a network with the given one-way latency whose
// random choices come from seed.
func NewMemNetwork(seed uint64, latency time.Duration) *MemNetwork {
	return &MemNetwork{nodes: map[peer.ID]*MemMessenger{}, latency: latency, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cut: map[[2]peer.ID]bool{}, max: 1 << 20}
}

// Messenger attaches id and returns its messenger, replacing (detaching)
// an earlier one: a restarted node gets a fresh messenger.
func (n *MemNetwork) Messenger(id peer.ID) *MemMessenger {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := &MemMessenger{net: n, id: id}
	n.nodes[id] = m
	return m
}

// Detach removes id (a crash): messages to and from it are lost.
func (n *MemNetwork) Detach(id peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.nodes, id)
}

// SetLatency sets the one-way latency of messages sent from now on.
func (n *MemNetwork) SetLatency(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.latency = d
}

// SetLoss drops each message with probability p.
func (n *MemNetwork) SetLoss(p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.loss = p
}

// SetHook observes every message as it leaves its sender (before loss and
// partitions): the tests' checkers read votes there. It runs on the
// sender's goroutine and must not block.
func (n *MemNetwork) SetHook(h func(from, to peer.ID, payload []byte)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hook = h
}

// Partition cuts every pair of peers in different groups (both ways);
// peers in no group keep their links.
func (n *MemNetwork) Partition(groups ...[]peer.ID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, g := range groups {
		for _, h := range groups[i+1:] {
			for _, a := range g {
				for _, b := range h {
					n.cut[[2]peer.ID{a, b}], n.cut[[2]peer.ID{b, a}] = true, true
				}
			}
		}
	}
}

// Heal removes every partition.
func (n *MemNetwork) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cut)
}

func (n *MemNetwork) send(from, to peer.ID, payload []byte) error {
	if len(payload) > n.max {
		return ErrTooLarge
	}
	n.mu.Lock()
	src, dst := n.nodes[from], n.nodes[to]
	hook := n.hook
	lost := n.loss > 0 && n.rng.Float64() < n.loss
	cut := n.cut[[2]peer.ID{from, to}]
	latency := n.latency
	n.mu.Unlock()
	if src == nil {
		return ErrUnreachable // a detached (crashed) sender sends nothing
	}
	if hook != nil {
		hook(from, to, payload)
	}
	if dst == nil || cut {
		return ErrUnreachable
	}
	if lost {
		return nil // queued, then lost on the way
	}
	p := slices.Clone(payload)
	time.AfterFunc(latency, func() { dst.deliver(from, p) })
	return nil
}

// MemMessenger is one node's Messenger on a MemNetwork.
type MemMessenger struct {
	net *MemNetwork
	id  peer.ID
	mu  sync.Mutex
	h   func(from peer.ID, payload []byte)
}

var _ Messenger = (*MemMessenger)(nil)

// Send implements Messenger.
func (m *MemMessenger) Send(to peer.ID, payload []byte) error { return m.net.send(m.id, to, payload) }

// Multicast implements Messenger: one send per destination; the first
// error is returned after trying every one.
func (m *MemMessenger) Multicast(to []peer.ID, payload []byte) error {
	var first error
	for _, p := range to {
		if err := m.net.send(m.id, p, payload); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// SetHandler implements Messenger.
func (m *MemMessenger) SetHandler(h func(from peer.ID, payload []byte)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.h = h
}

// MaxPayload implements Messenger.
func (m *MemMessenger) MaxPayload() int { return m.net.max }

func (m *MemMessenger) deliver(from peer.ID, p []byte) {
	m.net.mu.Lock()
	live := m.net.nodes[m.id] == m
	m.net.mu.Unlock()
	m.mu.Lock()
	h := m.h
	m.mu.Unlock()
	if live && h != nil {
		h(from, p)
	}
}
