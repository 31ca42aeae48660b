package broadcast

import (
	"bytes"
	"encoding/hex"
)

// NodeID is a node's ed25519 public key: the key that signs the messages it
// originates and (in a node) its libp2p identity, so the peer a link names
// is authenticated by the link. It has route.NodeID's layout, so a driver
// converts between them with a plain conversion.
type NodeID [32]byte

func (id NodeID) String() string { return hex.EncodeToString(id[:4]) }

// Less orders ids bytewise; every tie (eviction, output order) breaks by it
// so that the same inputs always give the same outputs.
func (id NodeID) Less(o NodeID) bool { return bytes.Compare(id[:], o[:]) < 0 }

// Digest names a signed message: sha256 over the domain tag, topic, origin,
// sequence number and payload (sign.go). The origin signs the digest, so a
// digest names exactly one message and no relay can alter it.
type Digest [32]byte

func (d Digest) String() string { return hex.EncodeToString(d[:4]) }

// Topic is the kind of a broadcast message. Topics are registered in
// Config.Topics with a size limit and a validator; every node of a network
// registers the same topics (a relay must validate what it forwards).
type Topic uint16

// Scope says how far a message travels.
type Scope uint8

const (
	// ScopeNetwork messages reach every node: eager push along the origin's
	// tree, digest announcements on the other links.
	ScopeNetwork Scope = iota
	// ScopeDirect messages go to the listed direct peers only and are never
	// relayed.
	ScopeDirect
	// ScopeRouted messages ride the routing layer (transport/route unicast
	// or multicast to producers); the core signs and caches them, the driver
	// carries them, and receivers never relay them.
	ScopeRouted
)

// Recipients says who a local Broadcast goes to.
type Recipients struct {
	// Scope is ScopeNetwork (everyone; Nodes is ignored), ScopeDirect
	// (Nodes are direct peers) or ScopeRouted (Nodes are routed
	// destinations: one node for unicast, the producers for multicast).
	Scope Scope
	Nodes []NodeID
}

// All is the recipient set of a network broadcast.
func All() Recipients { return Recipients{Scope: ScopeNetwork} }

// Peers is the recipient set of a broadcast to some direct peers.
func Peers(ids ...NodeID) Recipients { return Recipients{Scope: ScopeDirect, Nodes: ids} }

// Routed is the recipient set of a message carried by the routing layer.
func Routed(ids ...NodeID) Recipients { return Recipients{Scope: ScopeRouted, Nodes: ids} }

// Lane is the link lane an outgoing message must ride; the driver maps it
// to the link's lanes.
type Lane uint8

const (
	// LaneControl carries announcements, prunes, pulls and misses: small,
	// and a late announcement costs a needless graft.
	LaneControl Lane = iota
	// LaneBulk carries message bodies.
	LaneBulk
)

// Verdict is a topic validator's decision on a message, made once per
// message per node before it is cached, delivered or forwarded.
type Verdict uint8

const (
	// Accept caches, delivers and forwards the message.
	Accept Verdict = iota
	// Ignore drops it without blaming the peer that sent it (a message for
	// an unknown epoch, say).
	Ignore
	// Reject drops it and penalizes the peer that sent it.
	Reject
	// Defer holds it in a bounded queue until Revalidate decides again (a
	// vote for a block not yet received).
	Defer
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Ignore:
		return "ignore"
	case Reject:
		return "reject"
	case Defer:
		return "defer"
	}
	return "verdict(?)"
}

// Validator decides on a message of its topic. origin is authenticated (the
// signature was checked first), so a validator authorises by origin's role,
// never by the last hop. It must not retain payload and must be a pure
// function of its arguments and the consumer's state; it runs on the
// driver's goroutine, once per message per node.
type Validator func(origin NodeID, topic Topic, payload []byte) Verdict

// TopicConfig registers a topic.
type TopicConfig struct {
	// MaxSize is the largest payload accepted, in bytes (at most
	// Limits.MaxPayload). A larger one is refused with ReasonOversized and
	// penalizes the sender.
	MaxSize int
	// Validator decides on every message of the topic; nil accepts all.
	Validator Validator
}
