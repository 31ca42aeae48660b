package blocksync

import (
	"errors"
	"fmt"
)

// Reason says why a Conn penalizes or disconnects its peer, or why a message
// failed to decode. Reasons are stable strings: operators and metrics use them
// as labels.
type Reason string

// Reasons.
const (
	// ReasonMalformed: a message failed to decode (see Error.Detail).
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: a message carried an unknown wire version.
	ReasonVersion Reason = "unknown-version"
	// ReasonIrreversibleFork: the peer's irreversible chain conflicts with
	// ours; no block of either side can ever be accepted by the other.
	ReasonIrreversibleFork Reason = "irreversible-fork"
	// ReasonUnknownParent: the peer sent a block whose parent it cannot
	// believe we have (higher than anything we announced or it sent).
	ReasonUnknownParent Reason = "unknown-parent"
	// ReasonInvalidBody: a body failed the Chain's Verifier (a bad
	// signature, a producer without authority at that height, a body that
	// does not match its header): the sender forged or altered it, since
	// no correct relay forwards such a body.
	ReasonInvalidBody Reason = "invalid-body"
	// ReasonBadHeight: a block's height is not its parent's plus one.
	ReasonBadHeight Reason = "bad-height"
	// ReasonAckOverrun: the peer acknowledged bytes we never sent.
	ReasonAckOverrun Reason = "ack-overrun"
	// ReasonProtocol: any other violation of the protocol flow.
	ReasonProtocol Reason = "protocol"
	// ReasonFlood: the peer sent announcements (hellos, Haves) beyond
	// Config.AnnounceRate; the excess was dropped (a penalty, never a
	// disconnect).
	ReasonFlood Reason = "flood"
	// ReasonLocal: the driver closed the connection.
	ReasonLocal Reason = "local"
)

// Error is a peer fault (or a decode failure) with a reason. errors.Is(err,
// ErrPeer) matches every *Error.
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "blocksync: " + string(e.Reason)
	}
	return fmt.Sprintf("blocksync: %s: %s", e.Reason, e.Detail)
}

// Is makes every *Error match ErrPeer.
func (e *Error) Is(target error) bool { return target == ErrPeer }

// ErrPeer matches every *Error.
var ErrPeer = errors.New("blocksync: peer fault")

// ErrClosed is returned by a Conn's input methods after it disconnected.
var ErrClosed = errors.New("blocksync: connection closed")

// ErrHeldFull is returned by SendAfter when Config.MaxHeld messages are
// already waiting for blocks the peer does not have yet.
var ErrHeldFull = errors.New("blocksync: too many held messages")

func fault(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}
