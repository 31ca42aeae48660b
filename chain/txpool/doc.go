// Package txpool holds a node's transactions: Pool, the producer's
// bounded FIFO mempool, and Index, what the node knows about recent
// transactions (pending, included, irreversible, rejected: a Receipt) and
// who waits for which state. Both are pure, not safe for concurrent use:
// the node's loop owns them and feeds them the chain's changes (Included
// and Unincluded on fork switches, MarkIrreversible when blocks become
// irreversible, Reject for the App's or a producer's refusals); waiters
// get one Receipt each on a buffered channel, so the owner never blocks.
package txpool
