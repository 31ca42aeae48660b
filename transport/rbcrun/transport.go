package rbcrun

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// RoutedMessenger is route.ClassRBC of a node's routed transport as a
// Messenger: one routed multicast per message (one copy per next hop, on
// the links' consensus lane), the origin authenticated end to end.
type RoutedMessenger struct{ T *transport.Transport }

var _ Messenger = RoutedMessenger{}

// Multicast implements Messenger.
func (m RoutedMessenger) Multicast(to []peer.ID, payload []byte) error {
	ids := make([]route.NodeID, 0, len(to))
	for _, p := range to {
		id, err := transport.NodeIDOf(p)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	_, err := m.T.Multicast(ids, route.ClassRBC, payload)
	return err
}

// SetHandler implements Messenger: from is the authenticated origin.
func (m RoutedMessenger) SetHandler(h func(from peer.ID, payload []byte)) {
	m.T.Handle(route.ClassRBC, func(d transport.Delivery) { h(d.Peer, d.Payload) })
}
