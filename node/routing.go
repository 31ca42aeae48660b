// The node's transport (package transport): routed unicast over the
// links, for transactions toward the leader and their answers, and raft
// among the producers (consensus class, startEngine).

package node

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// newTransport builds the node's Transport before the network starts, so
// that every link is added to it from its first frame. Producers of the
// set in force (and nodes with p2p.routable) are destinations; routes to
// anyone else are refused. Its handlers run on the transport's goroutine
// and hand everything to the loop.
func (n *Node) newTransport() (*transport.Transport, error) {
	extra := map[route.NodeID]bool{}
	for _, s := range n.cfg.P2P.RoutablePeers {
		p, err := peer.Decode(s)
		if err == nil {
			var id route.NodeID
			if id, err = transport.NodeIDOf(p); err == nil {
				extra[id] = true
				continue
			}
		}
		return nil, fmt.Errorf("node: p2p.routable_peers %q: %w", s, err)
	}
	cfg := transport.DefaultConfig()
	cfg.Route.Key = n.signer
	cfg.Route.Routable = n.routable()
	cfg.Route.Admit = func(id route.NodeID) bool {
		if n.set.Load().Routable(id) || extra[id] {
			return true
		}
		r := n.retired.Load()
		return r != nil && (*r)[id]
	}
	cfg.Route.Attrs, cfg.Route.AdmitAttrs = n.cfg.Attest.Attrs(), n.admitAttest // attest.go
	cfg.Route.ReplyClasses = []route.Class{route.ClassTransaction}
	// Raft's messages wait for a route no longer than raft cares about
	// them (cft's API-REQUESTS.md: a few hundred milliseconds); the engine
	// times the RPC out and raft retries on its own.
	cfg.Route.ClassQueueTTL = map[route.Class]time.Duration{route.ClassConsensus: ConsensusQueueTTL}
	// An answer may take the whole acknowledgement time, then travel back.
	cfg.Route.ReplyTTL = n.o.limits.SubmitAckTimeout + route.DefaultConfig().QueueTTL
	cfg.Logger = n.component("transport")
	cfg.Penalize = n.penalizeRouted
	tr, err := transport.New(cfg)
	if err != nil {
		return nil, err
	}
	tr.SetValidator(route.ClassTransaction, n.validateRelayed)
	tr.Handle(route.ClassTransaction, func(d transport.Delivery) { n.toLoop(func() { n.onSubmitted(d) }) })
	tr.HandleReplies(route.ClassTransaction, func(r transport.Reply) { n.toLoop(func() { n.onAnswer(r) }) })
	tr.HandleFailures(route.ClassTransaction, func(e *route.SendError) { n.toLoop(func() { n.onUndeliverable(e) }) })
	return tr, nil
}

// ConsensusQueueTTL is how long a raft message waits for a route (every
// node uses the same: relays queue too). A few of raft's default 100 ms
// election timeouts: by then the engine has timed the RPC out and raft has
// sent a fresher one, so an older message is only clutter. The
// transaction class keeps route.Config.QueueTTL (2 s).
const ConsensusQueueTTL = 300 * time.Millisecond

// toLoop runs fn on the loop goroutine without waiting for it.
func (n *Node) toLoop(fn func()) { n.post(input{kind: inCall, fn: fn}) }

// routable reports whether this node announces itself as a destination:
// a producer, and a removed one until its raft engine stopped (raft must
// reach it with the configuration that removes it; dropEngine).
func (n *Node) routable() bool {
	return n.producer.Load() || n.solo || n.cfg.P2P.Routable || n.eng.Running() || n.cfg.Attest.On()
}

// penalizeRouted scores a neighbour for a routing fault (a bad signature,
// an impossible metric, a transaction no producer would take). It runs
// with the transport's lock held, possibly before Start assigned n.net.
func (n *Node) penalizeRouted(p link.PeerID, r link.Reason, detail string) {
	n.stats.reject("routing-fault")
	nw := n.netA.Load()
	if nw == nil {
		return
	}
	if (*nw).Penalize(p, r, detail) {
		n.log.Warn().Str("peer", p.String()).Str("detail", detail).Msg("peer banned for routing faults")
	}
}

// Routes lists the routing table (the admin API's GET /routes): every
// destination, its next hop, metric, RTT, seqno, feasibility distance and
// age. Nil before Start.
func (n *Node) Routes() []transport.RouteInfo {
	if n.tr == nil {
		return nil
	}
	return n.tr.Routes()
}

// TransportStats are the transport's counters (nil before Start).
func (n *Node) TransportStats() *transport.Stats {
	if n.tr == nil {
		return nil
	}
	s := n.tr.Stats()
	return &s
}
