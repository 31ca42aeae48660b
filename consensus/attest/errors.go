package attest

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason says why a scheduler or verifier refused an input. Reasons are
// stable strings: operators and metrics use them as labels, the wire
// carries them as Status codes (wire.go), and Penalized says which ones a
// correct peer can never cause.
type Reason string

// Reasons.
const (
	// ReasonMalformed: a message or record failed to decode, or is
	// internally inconsistent (lower verifications unsorted, for another
	// block).
	ReasonMalformed Reason = "malformed"
	// ReasonVersion: an unknown wire or record version.
	ReasonVersion Reason = "unknown-version"
	// ReasonOversized: a message longer than the caller's limit.
	ReasonOversized Reason = "oversized"
	// ReasonBadSignature: an ed25519 signature that does not verify over
	// the verification's chain id, block, level and lower digest.
	ReasonBadSignature Reason = "bad-signature"
	// ReasonSignerMismatch: a receipt delivered by one node carrying
	// another node's verification (receipts travel from their signer).
	ReasonSignerMismatch Reason = "signer-mismatch"
	// ReasonExcess: a receipt from a verifier we asked, for a level that is
	// already complete (its replacement answered first) or a block already
	// finalized. Normal when a slow verifier answers after its deadline;
	// refused so a level never holds more than Required verifications.
	ReasonExcess Reason = "excess"
	// ReasonUnasked: a receipt from a verifier we never asked for that
	// block and level.
	ReasonUnasked Reason = "unasked"
	// ReasonWrongLevel: a receipt for a level the block has not reached or
	// that is not configured, or a request for a level the verifier does
	// not serve.
	ReasonWrongLevel Reason = "wrong-level"
	// ReasonUnknownBlock: a receipt for a block we are not attesting and
	// did not finalize recently (a verifier that signed the wrong block),
	// or a request for a block the first-level verifier cannot confirm.
	ReasonUnknownBlock Reason = "unknown-block"
	// ReasonWrongLower: a verification whose lower digest is not the digest
	// of the lower-level verifications we sent.
	ReasonWrongLower Reason = "wrong-lower"
	// ReasonDuplicate: a receipt from a verifier already counted at that
	// level. It is acknowledged as accepted (the verifier re-sends until it
	// hears back), never counted twice.
	ReasonDuplicate Reason = "duplicate"
	// ReasonLate: a request whose deadline has passed when it arrives; the
	// requester has moved on, so the verifier does no work for it.
	ReasonLate Reason = "late"
	// ReasonBadLower: a request whose lower-level verifications are too
	// few, repeated, for another level, or badly signed.
	ReasonBadLower Reason = "bad-lower"
	// ReasonQueueFull: a verifier already holds MaxQueue unacknowledged
	// receipts; the request is refused to bound its memory.
	ReasonQueueFull Reason = "queue-full"
	// ReasonFull: the scheduler already holds MaxPending blocks.
	ReasonFull Reason = "full"
	// ReasonUnknownAck: an acknowledgement for a receipt we are not
	// holding.
	ReasonUnknownAck Reason = "unknown-ack"
	// ReasonNotYet: a first-level request for a block the verifier's
	// chain has not reached yet (CheckBlock returned ErrNotYet). Not a
	// refusal on the wire: the request is held until the block arrives or
	// its deadline passes (Verifier.Recheck).
	ReasonNotYet Reason = "not-yet"
)

// ErrNotYet is what a CheckBlock returns (possibly wrapped) for a block
// its chain has not reached yet: the verifier holds the request instead of
// refusing it. Verifiers learn irreversibility a little after the
// requester does (from the next headers), so most first requests find the
// block not yet irreversible.
var ErrNotYet = errors.New("attest: block not reached yet")

// Penalized reports whether a correct peer can never cause r, so the
// driver should score the sender down. Excess, duplicate, late and
// unknown-ack input follows from retransmissions, restarts and
// replacements; unknown-block can follow from a requester that finalized a
// block and forgot it long ago, and queue-full is our own limit.
func (r Reason) Penalized() bool {
	switch r {
	case ReasonExcess, ReasonDuplicate, ReasonLate, ReasonUnknownAck, ReasonQueueFull, ReasonFull, ReasonUnknownBlock, ReasonNotYet:
		return false
	}
	return true
}

// Error is a refused input with its reason and a detail for logs; it
// reads "attest: <reason>[: <detail>]". errors.Is(err, ErrRefused)
// matches every *Error.
type Error = reason.Error[Reason]

// ErrRefused matches every *Error.
var ErrRefused = errors.New("attest: input refused")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "attest", ErrRefused }

// ReasonOf returns the reason of a refusal, or "" for nil and other errors.
func ReasonOf(err error) Reason { return reason.Of[Reason](err) }

// refuse returns an *Error with r and a formatted detail.
var refuse = reason.New[Reason]
