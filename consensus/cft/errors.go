package cft

import "errors"

// Sentinel errors. Callers test them with errors.Is; wrapped errors carry the
// detail after the prefix.
var (
	// ErrClosed is returned by an Engine or Store used after Close.
	ErrClosed = errors.New("cft: closed")
	// ErrConfig wraps every Config.Validate failure.
	ErrConfig = errors.New("cft: invalid config")
	// ErrCorrupt is returned when bytes read back from pebble or the raft log
	// do not decode; it means a bug or a damaged disk, never peer input that
	// raft has not already committed.
	ErrCorrupt = errors.New("cft: corrupt encoding")
	// ErrStaleParent is the FSM's answer to a block entry whose parent is not
	// the last committed block: the entry is ignored on every node alike.
	ErrStaleParent = errors.New("cft: block entry does not extend the committed chain")
	// ErrUnauthorizedEntry is the FSM's answer to a block entry whose
	// signed header is missing, invalid, or signed by a key that is not a
	// voter of the configuration in force (Config.ServerOf set): the entry
	// is ignored on every node alike.
	ErrUnauthorizedEntry = errors.New("cft: block entry not signed by a producer in force")
	// ErrNotLeader is returned by leader-only calls on a follower.
	ErrNotLeader = errors.New("cft: not the leader")
	// ErrRefused matches every *RefusedError: raft traffic from a peer
	// that is not a producer, or that names another sender, was refused.
	ErrRefused = errors.New("cft: raft traffic refused")
	// ErrUnreachable is returned by the in-memory stream layer when the
	// target is unknown, closed or partitioned away.
	ErrUnreachable = errors.New("cft: peer unreachable")
)
