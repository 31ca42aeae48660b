package transport

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/transport/route"
)

// Messenger is one class of routed unicast seen as a message pipe between
// peers: what consensus/cft's raft transport needs. Its method set is
// exactly cft.Messenger's; the compile-time check lives in node (transport
// must not import consensus), where raft rides it.
type Messenger struct {
	t     *Transport
	class route.Class
}

// Messenger returns the adapter for class (route.ClassConsensus for raft:
// it rides the consensus lane).
func (t *Transport) Messenger(class route.Class) *Messenger {
	return &Messenger{t: t, class: class}
}

// Send queues payload for routed unicast to to and never blocks. A message
// that finds no route within route.Config.QueueTTL is reported to the
// class's failure handler (HandleFailures), not to the caller.
func (m *Messenger) Send(to peer.ID, payload []byte) error {
	id, err := NodeIDOf(to)
	if err != nil {
		return err
	}
	_, err = m.t.Send(id, m.class, payload)
	return err
}

// Multicast queues one payload for routed multicast to every peer of to
// (one copy per next hop; relays split it) and never blocks: the BFT
// driver's votes go to all producers at once (consensus/bftrun.Messenger).
// Undeliverable destinations are reported as for Send.
func (m *Messenger) Multicast(to []peer.ID, payload []byte) error {
	ids := make([]route.NodeID, 0, len(to))
	for _, p := range to {
		id, err := NodeIDOf(p)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	_, err := m.t.Multicast(ids, m.class, payload)
	return err
}

// SetHandler registers h for the class's deliveries: from is the
// authenticated origin (never the last hop). h runs on the transport's
// goroutine and must not block.
func (m *Messenger) SetHandler(h func(from peer.ID, payload []byte)) {
	if h == nil {
		m.t.Handle(m.class, nil)
		return
	}
	m.t.Handle(m.class, func(d Delivery) { h(d.Peer, d.Payload) })
}

// MaxPayload is the largest payload Send accepts.
func (m *Messenger) MaxPayload() int { return m.t.MaxPayload() }
