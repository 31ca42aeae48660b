package block

import (
	"errors"

	"github.com/blockwire/blockwire/internal/reason"
)

// Reason says why a block or an encoding was rejected. Reasons are stable
// strings: metrics and operator logs use them as labels.
type Reason string

// Reasons for rejecting a block or its encoding.
const (
	ReasonTruncated    Reason = "truncated"
	ReasonTrailing     Reason = "trailing-bytes"
	ReasonVersion      Reason = "unknown-version"
	ReasonTooLarge     Reason = "too-large"
	ReasonHeight       Reason = "bad-height"
	ReasonIrreversible Reason = "bad-irreversible"
	ReasonSignature    Reason = "bad-signature"
	ReasonTxRoot       Reason = "bad-tx-root"
	ReasonNonCanonical Reason = "non-canonical"
)

// Error is a rejected block or encoding, with a reason and a detail for
// logs; it reads "block: <reason>[: <detail>]". Use errors.As to get at
// the reason; errors.Is(err, ErrInvalid) matches any.
type Error = reason.Error[Reason]

// ErrInvalid matches every *Error.
var ErrInvalid = errors.New("block: invalid")

// Scope gives *Error its message prefix and sentinel (internal/reason).
func (Reason) Scope() (string, error) { return "block", ErrInvalid }

// ErrWrongProducerKey is returned when signing with a key whose public half is
// not the header's producer.
var ErrWrongProducerKey = errors.New("block: signing key is not the producer's")

// ReasonOf returns the reason of a block error, or "" if err is not one.
func ReasonOf(err error) Reason { return reason.Of[Reason](err) }
