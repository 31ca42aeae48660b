package forkdb

import (
	"errors"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// Reason says why Insert rejected a header. Reasons are stable strings for
// metrics and logs.
type Reason string

// Reasons for rejecting a header.
const (
	// ReasonDuplicate: the block is already in the tree. Harmless; not
	// misbehaviour by whoever sent it.
	ReasonDuplicate Reason = "duplicate"
	// ReasonUnknownParent: the parent is not in the tree; fetch it first.
	ReasonUnknownParent Reason = "unknown-parent"
	// ReasonBelowIrreversible: the block is at or below the irreversible
	// height, so it can never become part of the chain.
	ReasonBelowIrreversible Reason = "below-irreversible"
	// ReasonInvalid: the block itself was marked invalid.
	ReasonInvalid Reason = "invalid"
	// ReasonInvalidAncestor: an ancestor was marked invalid.
	ReasonInvalidAncestor Reason = "invalid-ancestor"
	// ReasonBadHeight: the height is not the parent's plus one.
	ReasonBadHeight Reason = "bad-height"
	// ReasonBadTerm: the term is lower than the parent's.
	ReasonBadTerm Reason = "bad-term"
)

// Error is a header the tree refused, with the reason and the block's id.
// errors.Is(err, ErrRejected) matches every *Error.
type Error struct {
	Reason Reason
	ID     block.ID
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("forkdb: %s: block %s", e.Reason, e.ID)
	}
	return fmt.Sprintf("forkdb: %s: block %s: %s", e.Reason, e.ID, e.Detail)
}

// Is makes every *Error match ErrRejected.
func (e *Error) Is(target error) bool { return target == ErrRejected }

// ErrRejected matches every header Insert refuses.
var ErrRejected = errors.New("forkdb: header rejected")

// ErrNotFound is returned when an operation names a block the tree does not
// hold.
var ErrNotFound = errors.New("forkdb: block not in tree")

// ErrRoot is returned by MarkInvalid for the irreversible block.
var ErrRoot = errors.New("forkdb: the irreversible block cannot be marked invalid")

// ReasonOf returns the reason of a rejection, or "" if err is not one.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func notFound(id block.ID) error { return fmt.Errorf("%w: %s", ErrNotFound, id) }
