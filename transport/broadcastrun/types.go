package broadcastrun

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/route"
)

// FrameTag is the first byte of a broadcast frame on link.LaneRouting; a
// routing frame starts with route.Version instead.
const FrameTag byte = 0xBC

// ClassBroadcast is the route class that carries routed broadcasts (to the
// producers, or to one node without a direct link). It rides the routing
// lane (route.LaneFor).
const ClassBroadcast route.Class = 5

// IsFrame reports whether a link.LaneRouting frame is a broadcast frame.
func IsFrame(msg []byte) bool { return len(msg) > 0 && msg[0] == FrameTag }

// Errors of local calls. The Engine's ErrUnknownTopic, ErrTooLarge,
// ErrNoRecipients and ErrTooManyWaiters come back as they are.
var (
	// ErrClosed: the driver was closed.
	ErrClosed = errors.New("broadcast: closed")
	// ErrNoRoute: a routed recipient set (Producers, or Node for a peer
	// without a link) and no router, or the router refused the message.
	ErrNoRoute = errors.New("broadcast: no routing transport for routed recipients")
	// ErrWaitExpired: Wait's waiter outlived broadcast.Config.WaiterTTL.
	ErrWaitExpired = errors.New("broadcast: wait expired (WaiterTTL)")
	// ErrNotStarted: Broadcast before Start.
	ErrNotStarted = errors.New("broadcast: driver not started")
)

// Re-exported so that callers need not import the core for errors.Is.
var (
	ErrUnknownTopic   = broadcast.ErrUnknownTopic
	ErrTooLarge       = broadcast.ErrTooLarge
	ErrNoRecipients   = broadcast.ErrNoRecipients
	ErrTooManyWaiters = broadcast.ErrTooManyWaiters
)

// Router is the routing transport the driver sends routed broadcasts over:
// *transport.Transport.
type Router interface {
	Send(dest route.NodeID, class route.Class, payload []byte) (uint64, error)
	Multicast(dests []route.NodeID, class route.Class, payload []byte) (uint64, error)
	Handle(class route.Class, fn func(transport.Delivery))
	MaxPayload() int
}

var _ Router = (*transport.Transport)(nil)

// Config configures a Driver.
type Config struct {
	// Engine configures the core; Key and Topics are required.
	Engine broadcast.Config
	// Class is the route class of routed broadcasts (ClassBroadcast when
	// zero). Every node must use the same.
	Class route.Class
	// Penalize scores a peer for a fault the Engine found: the node passes
	// link.Network.Penalize. Nil only logs. It is called with the driver's
	// lock held and must not call back into the Driver.
	Penalize func(p link.PeerID, r link.Reason, detail string)
	// Now is the clock (time.Now by default). The one timer is a
	// time.Timer, so under testing/synctest both are virtual.
	Now func() time.Time
	// OutboxBytes bounds the payload bytes of deliveries waiting for their
	// handlers; beyond it a delivery is dropped ("outbox-full").
	OutboxBytes int
	// Logger receives penalties (warn) and drops (debug).
	Logger zerolog.Logger
}

// DefaultConfig is broadcast.DefaultConfig with 1 MiB payloads (a body must
// fit the routing lane's 4 MiB messages and a routed payload), a 64 MiB
// cache and 32 MiB of outbox.
func DefaultConfig() Config {
	ec := broadcast.DefaultConfig()
	ec.Limits.MaxPayload = 1 << 20
	ec.CacheBytes = 64 << 20
	ec.ServeBurst = max(ec.ServeBurst, 2*ec.Limits.MaxPayload)
	return Config{Engine: ec, Class: ClassBroadcast, OutboxBytes: 32 << 20}
}

// Validate reports the first invalid field.
func (c *Config) Validate() error {
	if c.OutboxBytes < 1 {
		return fmt.Errorf("broadcast: Config.OutboxBytes %d: need at least 1", c.OutboxBytes)
	}
	if c.Engine.Limits.MaxPayload > MaxLinkPayload {
		return fmt.Errorf("broadcast: Limits.MaxPayload %d: a body must fit a routing-lane message (at most %d)", c.Engine.Limits.MaxPayload, MaxLinkPayload)
	}
	return c.Engine.Validate()
}

// MaxLinkPayload is the largest payload whose frame fits link.LaneRouting's
// default 4 MiB message (tag byte and Push header included).
const MaxLinkPayload = 4<<20 - 1024

// Message is a broadcast message as handlers and Wait see it. Payload is
// shared by every handler of the topic: never modify it.
type Message struct {
	Topic  broadcast.Topic
	Digest broadcast.Digest
	// Origin signed the message (authenticated); From is the peer it came
	// from (the origin itself for routed messages; zero for our own).
	Origin link.PeerID
	From   link.PeerID
	// Seq is the origin's sequence number; its top 48 bits are the send
	// time in Unix milliseconds.
	Seq     uint64
	Payload []byte
}

// SentAt is the origin's send time carried by Seq.
func (m Message) SentAt() time.Time { return time.UnixMilli(int64(m.Seq >> 16)) }

func messageOf(from broadcast.NodeID, m *broadcast.Message) Message {
	out := Message{Topic: m.Topic, Digest: m.Digest(), Origin: peerOf(m.Origin), Seq: m.Seq, Payload: m.Payload}
	if from != (broadcast.NodeID{}) {
		out.From = peerOf(from)
	}
	return out
}

// peerOf converts an id the Engine authenticated (a link peer or a
// verified origin); "" if it is not a valid key.
func peerOf(id broadcast.NodeID) link.PeerID {
	p, _ := transport.PeerIDOf(route.NodeID(id))
	return p
}

func idOf(p link.PeerID) (broadcast.NodeID, error) {
	id, err := transport.NodeIDOf(p)
	return broadcast.NodeID(id), err
}

// Recipients says who a Broadcast goes to; build it with All, Producers,
// Node or Peers.
type Recipients struct {
	kind  rcptKind
	peers []link.PeerID
}

type rcptKind uint8

const (
	rcptAll rcptKind = iota
	rcptProducers
	rcptNode
	rcptPeers
)

// All is every node of the network: eager push along our tree, digest
// announcements on the other links (Plumtree).
func All() Recipients { return Recipients{kind: rcptAll} }

// Producers is the producer set in force (SetProducers), by routed
// multicast: one copy per next hop.
func Producers() Recipients { return Recipients{kind: rcptProducers} }

// Node is one node: over its link if we have one, else by routed unicast
// (which reaches producers and nodes the routing layer admits).
func Node(p link.PeerID) Recipients { return Recipients{kind: rcptNode, peers: []link.PeerID{p}} }

// Peers is a list of direct peers; the message is never relayed. Peers we
// have no link to are skipped (Broadcast returns who it went to).
func Peers(ps ...link.PeerID) Recipients { return Recipients{kind: rcptPeers, peers: ps} }

func (r Recipients) String() string {
	switch r.kind {
	case rcptAll:
		return "all"
	case rcptProducers:
		return "producers"
	case rcptNode:
		return "node"
	}
	return "peers"
}
