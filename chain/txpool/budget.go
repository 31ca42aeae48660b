package txpool

// Budget is what one produced block may take from the pool: the producer
// takes transactions oldest first while Room says the next one fits, and
// stops at the first that does not, so the rest stay queued in order for
// the next blocks.
//
// Why a target below the hard limit: after a leader change the new leader
// finds the whole backlog queued (every submit the old leader had not
// packed, sent again), and without a target it packs it into one block —
// 5–15 MiB blocks were seen in the issue-19 testnet at 100 Mbit/s and a
// 500 ms interval, where one interval carries ~6 MB up a producer's link
// to all its children together. Such a block holds its own propagation
// and the next blocks behind it for seconds and, on a shaped link, queues
// the producers' raft messages behind it. With a target the backlog
// drains over several blocks of a size the links carry in an interval.
type Budget struct {
	// MaxBlockBytes is the hard limit every peer's decoder holds blocks
	// to (p2p.max_block_bytes): no transaction goes in past it.
	MaxBlockBytes int
	// TargetBytes is the producer's aim (consensus.block_target_bytes): a
	// transaction that would take the block past it waits for the next
	// block, unless the block is still empty (a transaction larger than
	// the target goes alone rather than never). 0: no target, only
	// MaxBlockBytes.
	TargetBytes int
	// MaxTxs bounds the transactions in the block.
	MaxTxs int
}

// Block encoding costs the budget counts: the fixed part (version, header,
// signature, counts) is under BlockOverhead bytes, and each transaction
// costs its length plus a length varint of at most TxOverhead bytes.
const (
	BlockOverhead = 512
	TxOverhead    = 8
)

// Cost is what a transaction of n bytes adds to a block's size.
func Cost(n int) int { return n + TxOverhead }

// Room returns the most bytes the next transaction may have in a block
// that already holds count transactions costing used bytes (the sum of
// their Cost); negative when the block takes no more.
func (b Budget) Room(used, count int) int {
	if count >= b.MaxTxs {
		return -1
	}
	limit := b.MaxBlockBytes - BlockOverhead
	if b.TargetBytes > 0 && count > 0 {
		limit = min(limit, b.TargetBytes-BlockOverhead)
	}
	return limit - used
}
