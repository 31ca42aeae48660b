package bft

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason says why the engine refused an input. Reasons are stable strings:
// operators and metrics use them as labels, and Penalized says which ones a
// correct producer can never cause.
type Reason string

// Reasons.
const (
	// ReasonMalformed: a message, certificate or record failed to decode or
	// is internally inconsistent (a nullify naming a block, unsorted signers).
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: an unknown wire or record version.
	ReasonVersion Reason = "unknown-version"
	// ReasonOversized: a message longer than Config.MaxMessageBytes.
	ReasonOversized Reason = "oversized"
	// ReasonBadSignature: an ed25519 signature that does not verify.
	ReasonBadSignature Reason = "bad-signature"
	// ReasonNonMember: a signer index outside the producer set.
	ReasonNonMember Reason = "non-member"
	// ReasonSignerMismatch: a vote delivered by one producer claims another
	// as its signer (votes travel from their signer; certificates relay).
	ReasonSignerMismatch Reason = "signer-mismatch"
	// ReasonDuplicate: a vote already counted, or a certificate signer
	// listed twice.
	ReasonDuplicate Reason = "duplicate"
	// ReasonEquivocation: a second, different notarize or finalize vote by
	// one signer in one view. The signer is byzantine.
	ReasonEquivocation Reason = "equivocation"
	// ReasonStale: a vote, block or certificate at or below the finalized
	// view. Correct peers send these after a restart or a partition; it is
	// not penalized.
	ReasonStale Reason = "stale"
	// ReasonViewTooFar: a vote or block more than Config.ViewWindow views
	// ahead of ours; refused to bound memory.
	ReasonViewTooFar Reason = "view-too-far"
	// ReasonNoQuorum: a certificate whose signers do not meet the quorum
	// rule of the set (both sets' quorums while joint).
	ReasonNoQuorum Reason = "no-quorum"
	// ReasonWrongSet: a certificate encoded for a set of another size.
	ReasonWrongSet Reason = "wrong-set"
	// ReasonNotLeader: a block or proposal whose producer is not the view's
	// leader.
	ReasonNotLeader Reason = "not-leader"
	// ReasonTooManyBlocks: more blocks for one view than
	// Config.MaxBlocksPerView (an equivocating leader).
	ReasonTooManyBlocks Reason = "too-many-blocks"
	// ReasonBadProposal: a local proposal that does not match the request.
	ReasonBadProposal Reason = "bad-proposal"
)

// Penalized reports whether a correct producer can never cause r, so the
// driver should score the sender down. Stale and duplicate input is normal
// after restarts and retransmissions.
func (r Reason) Penalized() bool {
	switch r {
	case ReasonStale, ReasonDuplicate, ReasonViewTooFar, ReasonBadProposal:
		return false
	}
	return true
}

// Error is a refused input with its reason and a detail for logs; it
// reads "bft: <reason>[: <detail>]". errors.Is(err, ErrRefused) matches
// every *Error.
type Error = reason.Error[Reason]

// ErrRefused matches every *Error.
var ErrRefused = errors.New("bft: input refused")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "bft", ErrRefused }

// ReasonOf returns the reason of a refusal, or "" for nil and other errors.
func ReasonOf(err error) Reason { return reason.Of[Reason](err) }

// refuse returns an *Error with r and a formatted detail.
var refuse = reason.New[Reason]
