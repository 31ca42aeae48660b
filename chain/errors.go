package chain

import (
	"errors"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// Reason says why the chain refused a block. Reasons are stable strings:
// metrics and operator logs use them as labels, and blocksync decides from
// them whether the sender misbehaved. Reasons from chain/block's checks
// (signature, transaction root, encoding) are passed through unchanged.
type Reason string

// Reasons for refusing a block that the chain adds to those of chain/block.
const (
	// ReasonDuplicate: the block is already known. Harmless, not misbehaviour.
	ReasonDuplicate Reason = "duplicate"
	// ReasonUnknownParent: the parent is not in the fork database. The caller
	// should fetch the parent first; the block itself may be fine.
	ReasonUnknownParent Reason = "unknown-parent"
	// ReasonBelowIrreversible: the block is at or below the irreversible
	// height and not on the irreversible chain: an irreversibly forked peer.
	ReasonBelowIrreversible Reason = "below-irreversible"
	// ReasonBadTerm: the block's term is lower than its parent's.
	ReasonBadTerm Reason = "bad-term"
	// ReasonInvalid: the block itself was found or marked invalid before.
	ReasonInvalid Reason = "invalid"
	// ReasonInvalidAncestor: the block descends from a block marked invalid.
	ReasonInvalidAncestor Reason = "invalid-ancestor"
	// ReasonBadStateRoot: the header's state root differs from ours after
	// executing the parent.
	ReasonBadStateRoot Reason = "bad-state-root"
	// ReasonBadTx: the application rejected one of the block's transactions.
	ReasonBadTx Reason = "bad-tx"
	// ReasonBadIrreversible: the header's irreversible block is not an
	// ancestor of the block, or is older than its parent's.
	ReasonBadIrreversible Reason = "bad-irreversible"
)

// Error is a block the chain refused, with the reason, the block's id and a
// detail for logs. It wraps the underlying *block.Error or application error
// when there is one. errors.Is(err, ErrRejected) matches every *Error.
type Error struct {
	Reason Reason
	ID     block.ID
	Detail string
	Err    error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("chain: block %s: %s", e.ID, e.Reason)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes every *Error match ErrRejected.
func (e *Error) Is(target error) bool { return target == ErrRejected }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the reason of a refused block (from chain or chain/block),
// or "" if err is not a refusal.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return Reason(block.ReasonOf(err))
}

// Sentinel errors. None of them can be caused by a peer's input.
var (
	// ErrRejected matches every *Error.
	ErrRejected = errors.New("chain: block rejected")
	// ErrNotFound: no such block in the log.
	ErrNotFound = errors.New("chain: not found")
	// ErrDatabaseInUse: another process holds the database's lock.
	ErrDatabaseInUse = errors.New("chain: database in use")
	// ErrCorrupt: the stored log is inconsistent (wrapped with details).
	ErrCorrupt = errors.New("chain: log corrupt")
	// ErrGenesisMismatch: the database holds a chain with another genesis.
	ErrGenesisMismatch = errors.New("chain: database holds another genesis")
	// ErrStaleBuilder: the block being produced no longer builds on a block
	// of the fork database (its parent was pruned or passed by the
	// irreversible block).
	ErrStaleBuilder = errors.New("chain: producing on a pruned or passed block")
	// ErrBroken: an earlier write to the database failed half-way through an
	// irreversibility step; the in-memory chain no longer matches the disk
	// and the Chain must be reopened.
	ErrBroken = errors.New("chain: unusable after a failed write; reopen")
	// ErrTxRejected matches every *TxError.
	ErrTxRejected = errors.New("chain: transaction rejected")
)

// TxError rejects one transaction. An App returns it from ApplyTx when the
// transaction is invalid (malformed, not permitted, ...) but the state and the
// App are fine; any other error from ApplyTx is fatal to the block.
type TxError struct {
	// Reason is a short stable label, e.g. "malformed".
	Reason string
	Detail string
}

func (e *TxError) Error() string {
	if e.Detail == "" {
		return "chain: transaction rejected: " + e.Reason
	}
	return fmt.Sprintf("chain: transaction rejected: %s: %s", e.Reason, e.Detail)
}

// Is makes every *TxError match ErrTxRejected.
func (e *TxError) Is(target error) bool { return target == ErrTxRejected }
