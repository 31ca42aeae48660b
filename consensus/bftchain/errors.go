package bftchain

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
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

// Error is a refusal with its reason and a detail; it reads
// "bftchain: <reason>: <detail>". errors.Is(err, ErrRefused) matches.
type Error = reason.Error[Reason]

// ErrRefused matches every *Error.
var ErrRefused = errors.New("bftchain: refused")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "bftchain", ErrRefused }

// ReasonOf returns err's reason, "" for nil and other errors.
func ReasonOf(err error) Reason { return reason.Of[Reason](err) }
