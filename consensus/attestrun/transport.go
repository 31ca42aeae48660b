package attestrun

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// TransportNet is Net over a node's routed transport: unicast on
// route.ClassAttest (the control lane, consensus priority).
type TransportNet struct{ T *transport.Transport }

// Send queues payload for to.
func (t TransportNet) Send(to block.PublicKey, payload []byte) (uint64, error) {
	return t.T.Send(route.NodeID(to), route.ClassAttest, payload)
}

// Attach makes r the consumer of tr's attest class: deliveries to Deliver
// (with the authenticated origin), failures of our messages to
// Undeliverable.
func Attach(r *Runner, tr *transport.Transport) {
	tr.Handle(route.ClassAttest, func(d transport.Delivery) { r.Deliver(block.PublicKey(d.Origin), d.Payload) })
	tr.HandleFailures(route.ClassAttest, func(e *route.SendError) { r.Undeliverable(block.PublicKey(e.Dest), e.Seq) })
}

// Allow is the attest.verifiers allow-list: nil (anyone) when empty.
type Allow map[route.NodeID]bool

// Allowed reports whether id may serve as a verifier.
func (a Allow) Allowed(id route.NodeID) bool { return a == nil || a[id] }

// AllowList parses peer ids (Settings.Verifiers).
func AllowList(ids []string) (Allow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	a := Allow{}
	for _, s := range ids {
		p, err := peer.Decode(s)
		if err != nil {
			return nil, &SettingsError{"verifiers", fmt.Sprintf("%q: %v", s, err)}
		}
		id, err := transport.NodeIDOf(p)
		if err != nil {
			return nil, &SettingsError{"verifiers", fmt.Sprintf("%q: %v", s, err)}
		}
		a[id] = true
	}
	return a, nil
}

// DirectoryOf lists the verifiers in a routing directory: members that
// announced a level, allowed by a; the operator is the "operator" label.
func DirectoryOf(ms []transport.Member, a Allow) []attest.Member {
	var out []attest.Member
	for _, m := range ms {
		if m.Attrs.Level > 0 && a.Allowed(m.ID) {
			out = append(out, attest.Member{Key: block.PublicKey(m.ID), Level: m.Attrs.Level,
				Operator: m.Attrs.Labels["operator"], Labels: m.Attrs.Labels})
		}
	}
	return out
}
