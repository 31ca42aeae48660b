// Reliable broadcast among the producers (transport/rbc, driven by
// transport/rbcrun): a payload that one correct producer delivers, every
// correct producer delivers, the same one, with a certificate of 2f+1
// producer signatures. Messages ride routed multicast on route.ClassRBC
// (the links' consensus lane); records live in the node's pebble
// database (transport/rbcstore), synced before the signatures they cover
// leave. Every node runs the runner; only producers of the set in force
// broadcast and deliver.

package node

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/producers"
	"github.com/blockwire/blockwire/transport/rbc"
	"github.com/blockwire/blockwire/transport/rbcrun"
	"github.com/blockwire/blockwire/transport/rbcstore"
)

// ReliableBroadcast broadcasts payload to the producers of the set in
// force with this producer as origin and returns once it delivered it:
// the delivery holds the payload and its certificate (verify it with
// rbc.Certificate.Verify against the set). Errors: rbcrun.ErrNotParticipant
// on a node outside the set, *rbc.Error refusals (oversized payload, too
// many instances open), rbcrun.ErrSetChanged, ErrStopped, ctx's error
// (the instance goes on: the others may still deliver it).
func (n *Node) ReliableBroadcast(ctx context.Context, payload []byte) (rbc.Delivery, error) {
	r := n.rbc.Load()
	if r == nil {
		return rbc.Delivery{}, ErrStopped
	}
	return r.Broadcast(ctx, payload)
}

// SubscribeReliable returns a subscription to every payload this node
// delivers by reliable broadcast, in delivery order, buffering buf (a full
// buffer drops and counts: Subscription.Dropped). Nil before Start.
func (n *Node) SubscribeReliable(buf int) *rbcrun.Subscription {
	if r := n.rbc.Load(); r != nil {
		return r.Subscribe(buf)
	}
	return nil
}

// ReliableStatus is the admin API's GET /rbc: the set, the instances with
// their phases, our pending broadcasts, recent deliveries and counters.
func (n *Node) ReliableStatus(ctx context.Context) rbcrun.Status {
	if r := n.rbc.Load(); r != nil {
		return r.Status(ctx)
	}
	return rbcrun.Status{Self: -1}
}

// startRBC starts the runner on the set in force.
func (n *Node) startRBC() error {
	cfg := rbcrun.DefaultConfig(n.genesis.ID(), n.signer)
	cfg.Logger = n.component("rbc")
	db := n.db
	r, err := rbcrun.New(cfg, rbcrun.Deps{
		Messenger: rbcrun.RoutedMessenger{T: n.tr},
		Store: func(set *rbc.Participants) (rbc.Store, error) {
			var s rbc.Store = rbcstore.New(db, rbcstore.ScopeOf(set))
			if n.o.rbcStoreWrap != nil {
				s = n.o.rbcStoreWrap(s)
			}
			return s, nil
		},
		Refused: n.rbcRefused,
	}, rbcKeys(n.set.Load()))
	if err != nil {
		return fmt.Errorf("node: reliable broadcast: %w", err)
	}
	n.rbc.Store(r)
	return nil
}

// rbcSetChanged follows a producer-set change (refreshProducers).
func (n *Node) rbcSetChanged(s *producers.View) {
	if r := n.rbc.Load(); r != nil {
		if err := r.SetParticipants(rbcKeys(s)); err != nil {
			n.consLog.Error().Err(err).Msg("reliable broadcast: switching the participant set failed")
		}
	}
}

func (n *Node) stopRBC() {
	if r := n.rbc.Load(); r != nil {
		r.Stop()
	}
}

// rbcKeys are the producers' keys in the set's canonical (ascending)
// order: the participant indexes every producer agrees on.
func rbcKeys(s *producers.View) []ed25519.PublicKey {
	var keys []ed25519.PublicKey
	for _, k := range s.Keys() {
		keys = append(keys, ed25519.PublicKey(k[:]))
	}
	return keys
}

// rbcRefused charges a producer for a reliable-broadcast message it
// could not have sent correctly. The transport authenticated the origin;
// one that is not a neighbour cannot be charged on a link (logged).
func (n *Node) rbcRefused(p peer.ID, reason string, err error) {
	n.stats.reject("rbc-" + reason)
	nw := n.netA.Load()
	if nw == nil || (*nw).Link(p) == nil {
		n.consLog.Warn().Str("origin", p.String()).Str("reason", reason).Err(err).
			Msg("reliable-broadcast message refused from a routed origin (not a neighbour: not charged)")
		return
	}
	if (*nw).Penalize(p, link.ReasonInvalid, "rbc "+err.Error()) {
		n.consLog.Warn().Str("peer", p.String()).Str("reason", reason).Msg("peer banned for invalid reliable-broadcast messages")
	}
}
