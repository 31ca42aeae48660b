package node

import (
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/chain/txpool"
)

// TxState is how far a transaction got (txpool.State).
type TxState = txpool.State

// Transaction states, in order.
const (
	// TxPending: accepted by a producer (or queued here), not in a block.
	TxPending = txpool.Pending
	// TxIncluded: in a block on this node's best chain.
	TxIncluded = txpool.Included
	// TxIrreversible: in an irreversible block.
	TxIrreversible = txpool.Irreversible
	// TxRejected: refused by the producer's App or mempool.
	TxRejected = txpool.Rejected
)

// TxReceipt is what the node knows about a transaction (txpool.Receipt).
type TxReceipt = txpool.Receipt

func txHash(tx []byte) block.Hash { return txpool.Hash(tx) }

// TxHash is the hash a transaction is known by in receipts, the admin API
// and TxStatus: SHA-256 over its bytes.
func TxHash(tx []byte) block.Hash { return txHash(tx) }
