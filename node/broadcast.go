// The embedder's messaging API: broadcast messages of the application's
// own topics to every node, the producers, one node or direct peers
// (transport/broadcast's core, driven by transport/broadcastrun).

package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/broadcastrun"
	"github.com/blockwire/blockwire/transport/route"
)

// Aliases so that embedders need only this package.
type (
	// PeerID is a node's identity (its libp2p peer id).
	PeerID = link.PeerID
	// Topic is an application message kind; every node registers the same
	// topics (WithTopic): a relay validates what it forwards.
	Topic = broadcast.Topic
	// Digest names a signed message (sha256 over topic, origin, sequence
	// and payload).
	Digest = broadcast.Digest
	// Verdict is a topic validator's decision: Accept, Ignore, Reject
	// (the sender is penalized) or Defer.
	Verdict = broadcast.Verdict
	// Message is a received broadcast: topic, digest, authenticated
	// origin, the peer it came from, payload (shared: do not modify).
	Message = broadcastrun.Message
	// Recipients is who a Broadcast goes to: ToAll, ToProducers, ToNode,
	// ToPeers.
	Recipients = broadcastrun.Recipients
)

// Verdicts and recipient sets.
const (
	Accept = broadcast.Accept
	Ignore = broadcast.Ignore
	Reject = broadcast.Reject
	Defer  = broadcast.Defer
)

var (
	ToAll       = broadcastrun.All
	ToProducers = broadcastrun.Producers
	ToNode      = broadcastrun.Node
	ToPeers     = broadcastrun.Peers
)

// Errors of the messaging API (besides ErrStopped and ctx.Err()).
var (
	ErrUnknownTopic   = broadcastrun.ErrUnknownTopic   // not registered with WithTopic
	ErrTooLarge       = broadcastrun.ErrTooLarge       // above the topic's (or the router's) size limit
	ErrNoRecipients   = broadcastrun.ErrNoRecipients   // empty peer list, no producer set
	ErrNoRoute        = broadcastrun.ErrNoRoute        // routed recipients the router refused
	ErrTooManyWaiters = broadcastrun.ErrTooManyWaiters // Wait beyond the waiter limits
	ErrWaitExpired    = broadcastrun.ErrWaitExpired    // Wait outlived the waiter TTL (1 min)
)

// WithTopic registers a broadcast topic: payloads up to maxSize bytes (at
// most 1 MiB), and validate (nil accepts all) run once per message per
// node before it is delivered or relayed, with the authenticated origin.
func WithTopic(t Topic, maxSize int, validate func(origin link.PeerID, payload []byte) Verdict) Option {
	return func(o *options) {
		tc := broadcast.TopicConfig{MaxSize: maxSize}
		if validate != nil {
			tc.Validator = func(origin broadcast.NodeID, _ broadcast.Topic, p []byte) Verdict {
				pid, err := transport.PeerIDOf(route.NodeID(origin))
				if err != nil {
					return Reject
				}
				return validate(pid, p)
			}
		}
		if o.topics == nil {
			o.topics = map[Topic]broadcast.TopicConfig{}
		}
		o.topics[t] = tc
	}
}

// newBroadcast builds the driver in New (so SubscribeTopic works before
// Start); Start hands it the routing transport.
func (n *Node) newBroadcast() (err error) {
	cfg := broadcastrun.DefaultConfig()
	if _, ok := n.o.topics[TopicBFTFinal]; ok {
		return fmt.Errorf("node: broadcast topic %d is reserved (TopicBFTFinal)", TopicBFTFinal)
	}
	cfg.Engine.Key, cfg.Engine.Topics = n.signer, n.withBFTTopic(n.o.topics)
	cfg.Logger = n.component("broadcast")
	cfg.Penalize = n.penalizeBroadcast
	if n.bc, err = broadcastrun.New(cfg); err != nil {
		return err
	}
	n.setBroadcastProducers()
	if n.cfg.Consensus.Engine == EngineBFT {
		n.bc.Handle(TopicBFTFinal, n.onBFTCert)
	}
	return nil
}

// setBroadcastProducers follows the producer set in force (ToProducers,
// cache eligibility).
func (n *Node) setBroadcastProducers() {
	n.bc.SetProducers(n.set.Load().Peers())
}

// penalizeBroadcast scores a peer for a broadcast fault (a frame that does
// not decode, a bad signature, a rejected message, a pull flood; a timeout
// comes as the light ReasonFlood and is not counted as a rejection); it
// runs with the driver's lock held.
func (n *Node) penalizeBroadcast(p link.PeerID, r link.Reason, detail string) {
	if r != link.ReasonFlood {
		n.stats.reject("broadcast-fault")
	}
	if nw := n.netA.Load(); nw != nil && (*nw).Penalize(p, r, detail) {
		n.log.Warn().Str("peer", p.String()).Str("detail", detail).Msg("peer banned for broadcast faults")
	}
}

// Broadcast signs msg as a message of topic and sends it to `to`; it
// returns once the message is queued (acceptance, not delivery) with its
// digest. Our own messages are not delivered to our own handlers.
func (n *Node) Broadcast(ctx context.Context, topic Topic, msg []byte, to Recipients) (Digest, error) {
	if err := ctx.Err(); err != nil {
		return Digest{}, err
	}
	d, _, err := n.bc.Broadcast(topic, msg, to)
	return d, apiErr(err)
}

// Send is Broadcast to one node: over its link if we have one, else by
// routed unicast (which reaches producers and p2p.routable nodes).
func (n *Node) Send(ctx context.Context, peer link.PeerID, topic Topic, msg []byte) (Digest, error) {
	return n.Broadcast(ctx, topic, msg, ToNode(peer))
}

// SubscribeTopic calls h for every message of topic this node accepts, on
// the broadcast goroutine, in arrival order; h must not block long. (The
// name Subscribe is the node's event stream's.) cancel removes h.
func (n *Node) SubscribeTopic(topic Topic, h func(Message)) (cancel func()) {
	return n.bc.Handle(topic, h)
}

// Get returns the cached message named d.
func (n *Node) Get(d Digest) (Message, bool) { return n.bc.Get(d) }

// Wait returns the message named d: at once if cached, else when it
// arrives (pulled at once from a peer that announced it).
func (n *Node) Wait(ctx context.Context, d Digest) (Message, error) {
	m, err := n.bc.Wait(ctx, d)
	return m, apiErr(err)
}

// BroadcastInfo is the broadcast cache and counters (GET /broadcast).
func (n *Node) BroadcastInfo() *broadcastrun.Info {
	in := n.bc.Info()
	return &in
}

func apiErr(err error) error {
	if errors.Is(err, broadcastrun.ErrClosed) || errors.Is(err, broadcastrun.ErrNotStarted) {
		return ErrStopped
	}
	return err
}
