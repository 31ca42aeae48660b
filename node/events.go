package node

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/internal/fanout"
	"github.com/blockwire/blockwire/link"
)

// EventKind says what an Event reports.
type EventKind string

// Event kinds.
const (
	// EventHead: the best head changed (Block, Height; Removed counts the
	// blocks a fork switch took off the best chain).
	EventHead EventKind = "head"
	// EventIrreversible: the irreversible block advanced (Block, Height).
	EventIrreversible EventKind = "irreversible"
	// EventPeerConnected: a link came up (Peer).
	EventPeerConnected EventKind = "peer_connected"
	// EventPeerDisconnected: a link ended (Peer, Reason).
	EventPeerDisconnected EventKind = "peer_disconnected"
)

// Event is one notification from the node.
type Event struct {
	Kind    EventKind   `json:"kind"`
	Time    time.Time   `json:"time"`
	Block   block.ID    `json:"block,omitzero"`
	Height  uint64      `json:"height,omitempty"`
	Removed int         `json:"removed,omitempty"`
	Peer    link.PeerID `json:"peer,omitempty"`
	// Reason is why a peer disconnected (link.Reason, or blocksync's reason
	// when the node closed the link), with detail.
	Reason string `json:"reason,omitempty"`
}

// Subscription receives events on C() in the order the node produced
// them; Close ends it, and C is closed then and when the node stops. The
// node never blocks on a subscriber: when C is full the event is dropped
// and counted in Dropped(), so a slow subscriber loses events, not the
// node its liveness. Size the buffer for the bursts you expect (a head
// per block, a peer per link).
type Subscription = fanout.Sub[Event]

// Subscribe returns a subscription whose channel buffers buf events (at
// least 1).
func (n *Node) Subscribe(buf int) *Subscription { return n.events.Subscribe(buf) }
