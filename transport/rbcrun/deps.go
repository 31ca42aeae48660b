package rbcrun

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/transport/rbc"
)

// Messenger carries the runner's envelopes between participants: routed
// multicast on the transport's reliable-broadcast class (route.ClassRBC,
// the link's consensus lane) in a node, MemNetwork in tests.
//
// Multicast never blocks: it queues, and an error means the message was
// not queued (loss is tolerated: the core retransmits). The handler gets
// each message with its authenticated origin (never the last hop: the
// transport checks the origin's signature); it is called on the
// messenger's goroutine and must not block (the runner only queues).
type Messenger interface {
	Multicast(to []peer.ID, payload []byte) error
	SetHandler(h func(from peer.ID, payload []byte))
}

// Deps are the runner's collaborators. Messenger and Store are required.
type Deps struct {
	Messenger Messenger
	// Store opens the durable records of a participant set
	// (rbcstore.New(db, rbcstore.ScopeOf(set)) in a node). Append must
	// sync: the runner sends the signatures a batch covers right after it.
	Store func(set *rbc.Participants) (rbc.Store, error)
	// Refused is told about every message refused for a reason a correct
	// participant never causes (rbc.Reason.Penalized, a malformed
	// envelope, a sender outside the set); the node charges the peer.
	// Called from the runner's goroutine; must not block.
	Refused func(from peer.ID, reason string, err error)
}
