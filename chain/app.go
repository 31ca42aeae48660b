package chain

import "github.com/blockwire/blockwire/chain/block"

// App is the application a chain carries: it turns transactions into state
// changes and a state root. It is seed 003's produce_block split: StartBlock,
// then ApplyTx once per transaction, then Finish.
//
// State. An App keeps no state of its own between blocks: everything it reads
// and writes goes through the *State handed to StartBlock, which the chain
// builds on top of the parent block's state. This is what lets the chain
// execute blocks on any fork above the irreversible block and write state to
// disk only when a block becomes irreversible; an App never sees forks,
// commits or rollbacks. (An App may cache immutable configuration.)
//
// Concurrency. The chain calls an App and its BlockExecs from one goroutine
// at a time (the Chain's owner), but may have several BlockExecs open at once
// (a block being produced while blocks from peers are added). A BlockExec
// must use only its own State.
//
// Determinism. Given the same parent state, header fields and transactions,
// an App must produce the same writes and the same state root on every node:
// no clocks, randomness or map iteration order may leak into either.
type App interface {
	// StartBlock begins executing a block with header h on state st, which
	// holds the parent's state. h.StateRoot is the parent's state root (what
	// the parent's Finish returned; for genesis, the genesis header's value).
	// While producing, h.TxRoot is not yet known and must not be used. The
	// App must not keep st or h beyond the returned BlockExec.
	StartBlock(st *State, h *block.Header) (BlockExec, error)
}

// BlockExec executes one block's transactions. It is used by one goroutine
// and discarded after Finish or after any error.
type BlockExec interface {
	// ApplyTx executes one transaction. tx is owned by the caller and must
	// not be modified or kept after ApplyTx returns.
	//
	// A *TxError means the transaction is rejected: the chain undoes its
	// writes, leaves it out of a block being produced, and refuses a block
	// from a peer that contains it. Any other error is fatal: the block
	// (produced or received) is abandoned and the error is returned to the
	// chain's caller unchanged.
	ApplyTx(tx []byte) error
	// Finish completes the block and returns the state root after it: the
	// value the next block's header carries as StateRoot.
	Finish() (block.Hash, error)
}
