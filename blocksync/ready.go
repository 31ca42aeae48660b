package blocksync

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Mode is what a link carries from us to the peer (seed 003's connection
// states), per producer.
type Mode uint8

const (
	// ModeOff never sends a block body over the link, not even when the
	// peer grafts. It is set manually (SetMode), never by the protocol.
	// Announcements still flow so the peer never sends us what we have.
	ModeOff Mode = iota
	// ModeBackup sends ids and headers only (Have); the peer pulls a body
	// with a Graft when its active path is late.
	ModeBackup
	// ModeActive pushes bodies eagerly, each an immediate child of a block
	// the peer has.
	ModeActive
)

func (m Mode) String() string {
	switch m {
	case ModeOff:
		return "off"
	case ModeBackup:
		return "backup"
	case ModeActive:
		return "active"
	}
	return "mode(?)"
}

// State is the phase of a Conn.
type State uint8

const (
	// StateStart: locators are being exchanged; we send no bodies yet.
	StateStart State = iota
	// StateReady: we know a block on our best chain that the peer has, and
	// stream its descendants.
	StateReady
	// StateClosed: the Conn disconnected (Ready.Disconnect said why) and
	// ignores further input.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateStart:
		return "start"
	case StateReady:
		return "ready"
	}
	return "closed"
}

// Message is a message to send on a lane.
type Message struct {
	Lane Lane
	Msg  Msg
}

// Ready is a batch of outputs. The driver handles every field, in this order,
// then calls Advance:
//
//  1. Blocks: hand each received block, in order, to the node for
//     validation and insertion into the fork database, which must be done
//     (inserted or rejected) before the next input to any Conn of the node;
//     execution may come later. A driver that wants durability before the
//     peer frees its window persists them here, before step 3 sends the Ack.
//     After inserting, call ChainChanged on every Conn of the node.
//  2. Tied: hand each received tied payload to its consumer (consensus),
//     after the blocks before it.
//  3. Messages: send each on its lane, in order.
//  4. Penalties and Disconnect: score the peer; if Disconnect is non-nil,
//     close the connection with its reason (the Conn is already closed).
//  5. Deadline: arm the one timer; call Tick at or after it.
type Ready struct {
	Messages []Message
	// Blocks were received from the peer, passed the Conn's cheap checks
	// (height linkage, parent known to us or pipelined, above our
	// irreversible block, not already known) and need full validation.
	// When the Chain implements Verifier they also passed VerifyBody: the
	// driver may call Forward with each on its other Conns, and perform
	// them, before adding it. A
	// block whose parent the node pruned meanwhile (a new irreversible
	// block between two inserts) is stale: drop it without penalty.
	Blocks []*block.Block
	// Tied are tied messages received from the peer.
	Tied []*Tied
	// Penalties are non-fatal peer faults.
	Penalties []*Error
	// Disconnect, when non-nil, is why the Conn closed.
	Disconnect *Error
	// Deadline is when Tick must next be called; zero for none. It is
	// reported in every Ready, whether or not it changed.
	Deadline time.Time
}

// Stats are a Conn's counters since it was created.
type Stats struct {
	HellosSent, HellosReceived uint64 // locator hellos
	HavesSent, HavesReceived   uint64
	BlocksSent, BlocksReceived uint64
	BlockBytesSent             uint64 // sum of Block.Size sent
	BlockBytesReceived         uint64
	Duplicates                 uint64 // bodies received that we already had
	// LastDuplicate is the block of the latest duplicate body, so a driver
	// that sees Duplicates grow after a Receive can count copies per block.
	LastDuplicate                block.ID
	Stale                        uint64 // bodies discarded as orphaned or at/below our irreversible block
	PrunesSent, PrunesReceived   uint64
	GraftsSent, GraftsReceived   uint64
	AcksSent                     uint64
	EarlyForwards                uint64 // bodies sent by Forward, before our node added them
	TiedSent, TiedReceived       uint64
	HeldDropped                  uint64 // tied messages whose block left our chain
	AnnouncementsDropped         uint64 // hellos and Haves over Config.AnnounceRate, dropped
	ComingsSent, ComingsReceived uint64 // notices of a body about to be sent (Version 2)
	// GraftsHeld counts grafts that fell due while a body extending our
	// chain was on its way over another link, and waited (inbound.go).
	GraftsHeld uint64
}
