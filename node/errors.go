package node

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrStopped: the node is stopped (or was never started).
	ErrStopped = errors.New("node: stopped")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("node: already started")
	// ErrNoProducer: no producer is reachable: this node has no link to a
	// producer (multi-hop routing is not built yet), or the producers it
	// reached found no leader for Limits.SubmitAckTimeout (an election that
	// does not end). Returned at once when there is no link at all.
	ErrNoProducer = errors.New("node: no producer reachable")
	// ErrProducerTimeout: a producer was reached but did not answer within
	// Limits.SubmitAckTimeout (overloaded, or it died with the request).
	// The transaction may still be included: check TxStatus later.
	ErrProducerTimeout = errors.New("node: the producer did not answer in time")
	// ErrTxTimeout: a transaction was accepted but not included before the
	// submit deadline.
	ErrTxTimeout = errors.New("node: transaction not included in time")
	// ErrNotFound: no such block or transaction.
	ErrNotFound = errors.New("node: not found")
	// ErrChangePending: a producer-set change transaction was refused
	// because another change is still pending (one change at a time; see
	// ChangeProducersTx). The error is a *TxRejectedError with Reason
	// ReasonChangePending; submit the change again once the pending one is
	// irreversible.
	ErrChangePending = errors.New("node: another producer-set change is pending")
)

// ReasonChangePending is the TxRejectedError reason of ErrChangePending.
const ReasonChangePending = "change-pending"

// TxRejectedError is a transaction refused by validation, by the producer's
// App or by a full mempool. errors.Is(err, ErrTxRejected) matches it.
type TxRejectedError struct {
	// Reason is a stable label: "malformed", "too-large", "mempool-full",
	// "duplicate", ReasonChangePending, or the App's *chain.TxError reason.
	Reason string
	Detail string
}

// ErrTxRejected matches every *TxRejectedError.
var ErrTxRejected = errors.New("node: transaction rejected")

func (e *TxRejectedError) Error() string {
	if e.Detail == "" {
		return "node: transaction rejected: " + e.Reason
	}
	return fmt.Sprintf("node: transaction rejected: %s: %s", e.Reason, e.Detail)
}

// Is makes every *TxRejectedError match ErrTxRejected, and one with reason
// ReasonChangePending match ErrChangePending.
func (e *TxRejectedError) Is(target error) bool {
	return target == ErrTxRejected || target == ErrChangePending && e.Reason == ReasonChangePending
}
