package bftchain

import (
	"errors"
	"fmt"
)

// Reason says why a block certificate or a block was refused. Reasons are
// stable strings (metrics and logs use them).
type Reason string

// Reasons.
const (
	// ReasonMalformed: a block certificate that does not decode, or is not
	// a finalization.
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: an unknown block-certificate version.
	ReasonVersion Reason = "unknown-version"
	// ReasonUnknownSet: a certificate of an epoch whose set the verifier
	// cannot derive from the final blocks it has seen.
	ReasonUnknownSet Reason = "unknown-set"
	// ReasonBadCert: a certificate that fails bft.Certificate.Verify
	// (signature, membership, duplicates, quorum).
	ReasonBadCert Reason = "bad-certificate"
	// ReasonUnknownParent: a block whose parent the follower has not seen.
	ReasonUnknownParent Reason = "unknown-parent"
	// ReasonBadBlock: a block that fails block.Block.Check.
	ReasonBadBlock Reason = "bad-block"
	// ReasonConflict: a valid certificate finalizes a block that does not
	// descend from the last final block: the fault assumption is broken.
	ReasonConflict Reason = "conflicting-finalization"
	// ReasonTooMany: more pending (not yet final) blocks than the
	// follower's bound.
	ReasonTooMany Reason = "too-many-pending"
)

// Error is a refusal with its reason; errors.Is(err, ErrRefused) matches.
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string { return fmt.Sprintf("bftchain: %s: %s", e.Reason, e.Detail) }

// Is makes every *Error match ErrRefused.
func (e *Error) Is(target error) bool { return target == ErrRefused }

// ErrRefused matches every *Error.
var ErrRefused = errors.New("bftchain: refused")

// ReasonOf returns err's reason, "" for nil and other errors.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
