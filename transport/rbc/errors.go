package rbc

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason says why the core refused an input. Reasons are stable strings:
// operators and metrics use them as labels, and Penalized says which ones a
// correct participant can never cause.
type Reason string

// Reasons.
const (
	// ReasonMalformed: a message, certificate or record failed to decode or
	// is internally inconsistent (Error.Detail says how).
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: an unknown wire or record version.
	ReasonVersion Reason = "unknown-version"
	// ReasonOversized: a message or payload beyond Config.MaxPayload.
	ReasonOversized Reason = "oversized"
	// ReasonNonMember: a sender, signer or origin index outside the
	// participant set.
	ReasonNonMember Reason = "non-member"
	// ReasonSignerMismatch: an echo or ready delivered by one participant
	// names another as its signer (they travel from their signer; only
	// certificates are relayed).
	ReasonSignerMismatch Reason = "signer-mismatch"
	// ReasonBadSignature: an ed25519 signature that does not verify over
	// the domain-separated (instance, digest).
	ReasonBadSignature Reason = "bad-signature"
	// ReasonDuplicate: an echo or ready already counted (retransmissions
	// cause these; not penalized).
	ReasonDuplicate Reason = "duplicate"
	// ReasonEquivocation: a second, different echo or ready by one signer
	// in one instance. The signer is byzantine.
	ReasonEquivocation Reason = "equivocation"
	// ReasonInvalidPayload: the origin's payload failed Config.ValidatePayload; we
	// do not echo it.
	ReasonInvalidPayload Reason = "invalid-payload"
	// ReasonNoQuorum: a certificate with fewer than 2f+1 distinct signers.
	ReasonNoQuorum Reason = "no-quorum"
	// ReasonWrongSet: a certificate encoded for a set of another size.
	ReasonWrongSet Reason = "wrong-set"
	// ReasonStale: a message for an instance at or below the origin's
	// garbage-collection floor (a late retransmission; not penalized).
	ReasonStale Reason = "stale"
	// ReasonTooManyInstances: a message that would open an instance beyond
	// Config.MaxOpenPerPeer for the peer that sent it. Refused to bound
	// memory; not penalized (a busy correct peer may get there).
	ReasonTooManyInstances Reason = "too-many-instances"
	// ReasonConflict: a local Broadcast could not proceed (a record says
	// we already signed another payload in that instance).
	ReasonConflict Reason = "conflict"
)

// Penalized reports whether a correct participant can never cause r, so the
// driver should score the sender down.
func (r Reason) Penalized() bool {
	switch r {
	case ReasonDuplicate, ReasonStale, ReasonTooManyInstances, ReasonConflict:
		return false
	}
	return true
}

// Error is a refused input with its reason and a detail for logs; it
// reads "rbc: <reason>[: <detail>]". errors.Is(err, ErrRefused) matches
// every *Error.
type Error = reason.Error[Reason]

// ErrRefused matches every *Error.
var ErrRefused = errors.New("rbc: input refused")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "rbc", ErrRefused }

// ReasonOf returns the reason of a refusal, or "" for nil and other errors.
func ReasonOf(err error) Reason { return reason.Of[Reason](err) }

// refuse returns an *Error with r and a formatted detail.
var refuse = reason.New[Reason]
