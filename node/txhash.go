package node

import "github.com/blockwire/blockwire/chain/block"

// TxHash is the hash a transaction is known by in receipts, the admin API
// and TxStatus: SHA-256 over its bytes.
func TxHash(tx []byte) block.Hash { return txHash(tx) }
