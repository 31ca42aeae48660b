package cft

import (
	"fmt"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Messenger carries raft's messages between producers: routed unicast on
// the transport's consensus class in a node (any number of relays),
// MemMessenger in tests. It is the whole contract between this package and
// whatever moves the bytes.
//
// Concurrency: Send and MaxPayload are safe for concurrent use. Ownership:
// Send does not retain payload after it returns (the messenger copies or
// encodes it); the handler's payload is the handler's to keep. Loss:
// a message may be lost after Send returned nil (a route that dies
// mid-flight, a queue that expires); the raft transport turns every loss
// into an RPC error after a timeout, never a hang.
type Messenger interface {
	// Send queues payload for to without blocking. An error means the
	// message was not queued (typed by the messenger: too large, no route
	// and the queue full, closed); nil does not promise delivery.
	Send(to peer.ID, payload []byte) error
	// SetHandler sets the function called for every message that arrives,
	// with from the authenticated origin (never the last hop). The handler
	// must not block. It is set before traffic flows; a later call replaces
	// the handler (an engine restarted on the same messenger sets its own).
	SetHandler(h func(from peer.ID, payload []byte))
	// MaxPayload is the largest payload Send accepts, in bytes.
	MaxPayload() int
}

// Names maps raft server addresses (and ids, which are the same strings in
// this package) to messenger peers and back.
type Names interface {
	// Peer returns the peer a raft address names, or an error if it names
	// none.
	Peer(raft.ServerAddress) (peer.ID, error)
	// Server returns the raft server id of a peer.
	Server(peer.ID) raft.ServerID
}

// PeerIDNames is the node's naming: a raft id and address are the peer
// id's string form (ServerAddress). It is the default.
type PeerIDNames struct{}

// Peer decodes the peer id string.
func (PeerIDNames) Peer(a raft.ServerAddress) (peer.ID, error) {
	id, err := peer.Decode(string(a))
	if err != nil {
		return "", fmt.Errorf("cft: raft address %q is not a peer id: %w", a, err)
	}
	return id, nil
}

// Server returns the peer id string.
func (PeerIDNames) Server(id peer.ID) raft.ServerID { return raft.ServerID(id.String()) }

// ServerAddress returns the raft address (and id) of a peer: its id
// string (PeerIDNames).
func ServerAddress(id peer.ID) raft.ServerAddress { return raft.ServerAddress(id.String()) }

// RawNames uses the raw bytes of a peer.ID as the raft address ("p0" is
// peer.ID("p0")): tests whose peers are plain names use it.
type RawNames struct{}

// Peer casts the address.
func (RawNames) Peer(a raft.ServerAddress) (peer.ID, error) {
	if a == "" {
		return "", fmt.Errorf("cft: empty raft address")
	}
	return peer.ID(a), nil
}

// Server casts the peer id.
func (RawNames) Server(id peer.ID) raft.ServerID { return raft.ServerID(id) }
