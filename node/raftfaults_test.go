package node

import (
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// raftFaults cuts or slows raft's messages between the test net's
// producers without touching their links (blocksync and routing go on):
// it wraps each producer's real messenger (the routed transport's
// consensus class).
type raftFaults struct {
	mu       sync.Mutex
	isolated map[peer.ID]bool
	latency  time.Duration
}

func newRaftFaults() *raftFaults { return &raftFaults{isolated: map[peer.ID]bool{}} }

// Isolate drops every raft message from and to addr while on.
func (f *raftFaults) Isolate(addr raft.ServerAddress, on bool) {
	id, err := peer.Decode(string(addr))
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	f.isolated[id] = on
	f.mu.Unlock()
}

// SetLatency delays every raft message by d on top of the links' latency.
func (f *raftFaults) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

func (f *raftFaults) wrap(id link.PeerID, m cft.Messenger) cft.Messenger {
	return &faultyMessenger{f: f, self: id, inner: m}
}

type faultyMessenger struct {
	f     *raftFaults
	self  peer.ID
	inner cft.Messenger
}

func (m *faultyMessenger) cut(to peer.ID) (bool, time.Duration) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.isolated[m.self] || m.f.isolated[to], m.f.latency
}

func (m *faultyMessenger) Send(to peer.ID, payload []byte) error {
	cut, lat := m.cut(to)
	if cut {
		return nil // lost in flight: raft times the RPC out
	}
	if lat <= 0 {
		return m.inner.Send(to, payload)
	}
	p := append([]byte(nil), payload...)
	time.AfterFunc(lat, func() { _ = m.inner.Send(to, p) })
	return nil
}

func (m *faultyMessenger) SetHandler(h func(from peer.ID, payload []byte)) {
	if h == nil {
		m.inner.SetHandler(nil)
		return
	}
	m.inner.SetHandler(func(from peer.ID, payload []byte) {
		if cut, _ := m.cut(from); cut {
			return
		}
		h(from, payload)
	})
}

func (m *faultyMessenger) MaxPayload() int { return m.inner.MaxPayload() }
