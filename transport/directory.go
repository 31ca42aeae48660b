package transport

import (
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// Member is a reachable destination that announced attributes (a
// verifier's level and labels, route.Attrs), as the routing table holds
// it: signed by the member with its seqno, so no relay altered it.
type Member struct {
	ID     route.NodeID
	Peer   link.PeerID
	Attrs  route.Attrs
	Metric route.Metric
}

// Directory lists the reachable destinations that announced attributes,
// sorted by routing id (consensus/attest builds its verifier directory
// from it). The maps are copies.
func (t *Transport) Directory() []Member {
	t.mu.Lock()
	anns := t.r.Announced()
	t.mu.Unlock()
	out := make([]Member, 0, len(anns))
	for _, a := range anns {
		out = append(out, Member{ID: a.Dest, Peer: mustPeer(a.Dest), Attrs: a.Attrs, Metric: a.Metric})
	}
	return out
}

// Attrs returns the attributes we announce (nil: none).
func (t *Transport) Attrs() *route.Attrs {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.r.Attrs()
}
