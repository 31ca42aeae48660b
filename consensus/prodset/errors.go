package prodset

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason is a stable label saying why a change was refused. Nodes report it
// as the transaction's rejection reason (Submit, the admin API, block
// refusals), so operators and scripts can match it.
type Reason string

// Reasons.
const (
	// ReasonMalformed: the transaction has the change prefix but does not
	// decode.
	ReasonMalformed Reason = "malformed"
	// ReasonUnsigned: no signature at all (or the unsigned version 2).
	ReasonUnsigned Reason = "unsigned-change"
	// ReasonBadSignature: a signature does not verify over SigningBytes
	// (another chain, change or nonce, or forged).
	ReasonBadSignature Reason = "bad-change-signature"
	// ReasonDuplicateSigner: one key signed twice.
	ReasonDuplicateSigner Reason = "duplicate-change-signer"
	// ReasonSignerNotProducer: a signer is not in the set in force (never
	// was, or was removed). The quorum policy refuses the whole change
	// rather than ignore the signature, so a change that names an outsider
	// as an approver never looks authorised.
	ReasonSignerNotProducer Reason = "change-signer-not-producer"
	// ReasonNoQuorum: fewer distinct producers signed than the quorum.
	ReasonNoQuorum Reason = "change-no-quorum"
	// ReasonReplayed: the nonce is that of a change already applied.
	ReasonReplayed Reason = "replayed-change"
	// ReasonNonceGap: the nonce skips ahead of the next one.
	ReasonNonceGap Reason = "change-nonce-gap"
	// ReasonBadChange: the change does not fit the set in force (add a
	// producer, remove a non-producer or the last one, a peer id without
	// an ed25519 key). The label predates this package.
	ReasonBadChange Reason = "bad-producer-change"
)

// ErrRefused matches every *Error.
var ErrRefused = errors.New("prodset: change refused")

// Error is a refused change: a stable Reason and a human Detail; it reads
// "prodset: change refused: <reason>: <detail>".
type Error = reason.Error[Reason]

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "prodset: change refused", ErrRefused }

// refuse returns an *Error with r and a formatted detail.
var refuse = reason.New[Reason]
