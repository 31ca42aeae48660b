// Keeping accepted transactions alive across leader changes: the
// transactions of orphaned blocks go back to a mempool, a hand-off that
// finds no leader is retried, and a node keeps the transactions its own
// submitters wait for and sends them again after a leader change.

package node

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/transport/submit"
)

// requeueOrphans puts the transactions of blocks a fork switch removed
// from the best chain, and that the new best chain does not hold, back into
// this producer's mempool: the leader builds them into a later block, any
// other producer hands them to the leader (handOffMempool). Such a block is
// a deposed leader's: produced in a term whose raft log never committed it,
// and replaced by the next term's block at its height. Full nodes leave it
// to the producers and to the submitters' own nodes (watchedTx).
func (n *Node) requeueOrphans(bs []*block.Block) {
	if len(bs) == 0 || !n.producer.Load() || n.solo {
		return
	}
	lp := n.lp
	moved, dropped := 0, 0
	for _, b := range bs {
		for _, tx := range b.Txs {
			h := txHash(tx)
			if r, ok := lp.txs.Get(h); ok && r.State != TxPending {
				continue // in the new best chain too
			}
			if !lp.pool.Add(h, tx) {
				dropped++
				n.stats.reject("requeue-mempool-full")
				continue
			}
			lp.txs.Record(h)
			moved++
		}
	}
	if moved+dropped == 0 {
		return
	}
	ev := n.log.Info()
	if dropped > 0 {
		ev = n.log.Warn().Int("dropped_mempool_full", dropped)
	}
	ev.Int("blocks", len(bs)).Int("txs", moved).Msg("re-queued the transactions of orphaned blocks")
}

// requeueTx takes back a transaction that this node handed to a leader
// (handOffMempool) when no leader took it, to hand it off again after
// handoffRetry, or to build it into a block if this node leads by then.
func (n *Node) requeueTx(h block.Hash, tx []byte) {
	lp := n.lp
	if r, ok := lp.txs.Get(h); ok && r.State != TxPending {
		return
	}
	if !lp.pool.Add(h, tx) {
		n.stats.reject("requeue-mempool-full")
		n.log.Warn().Stringer("tx", h).Msg("handed-off transaction dropped: the mempool is full")
		return
	}
	if lp.handoffAt.IsZero() || lp.handoffPaced {
		// A failure replaces the pacer's next slot with the retry delay.
		lp.handoffDelay = min(max(lp.handoffDelay, handoffRetry/2)*2, maxHandoffDelay)
		lp.handoffAt, lp.handoffPaced = time.Now().Add(lp.handoffDelay), false
	}
}

// watchedTx is a transaction a local Submit or WaitTx-after-Submit waits
// for: this node keeps it until it is included (or nobody waits any more)
// and sends it again when a new term's block arrives, because a leader
// that crashed or stepped down may have taken it along. Producers
// deduplicate by hash (mempool and transaction index).
type watchedTx struct {
	tx []byte
	// due is when to send it again if still pending.
	due time.Time
}

// watch keeps tx while a local waiter waits for it.
func (n *Node) watch(h block.Hash, tx []byte) {
	lp := n.lp
	if n.solo {
		return
	}
	if _, ok := lp.watched[h]; !ok {
		lp.watched[h] = &watchedTx{tx: tx, due: time.Now().Add(n.resubmitAfter())}
	}
	if lp.watchAt.IsZero() {
		lp.watchAt = time.Now().Add(watchSweep)
	}
}

// watchTerm sends every watched transaction again when the head's term
// grew: a new leader took office.
func (n *Node) watchTerm() {
	lp := n.lp
	term := n.chain.Head().Term
	if term <= lp.watchTerm {
		return
	}
	first := lp.watchTerm == 0
	lp.watchTerm = term
	if first || len(lp.watched) == 0 {
		return
	}
	n.resendWatched(time.Now(), true)
}

// sweepWatched forgets what nobody waits for any more and sends again
// what stayed pending for resubmitAfter.
func (n *Node) sweepWatched(now time.Time) {
	lp := n.lp
	if lp.watchAt.IsZero() || now.Before(lp.watchAt) {
		return
	}
	n.resendWatched(now, false)
	lp.watchAt = time.Time{}
	if len(lp.watched) > 0 {
		lp.watchAt = now.Add(watchSweep)
	}
}

func (n *Node) resendWatched(now time.Time, all bool) {
	lp := n.lp
	resent := 0
	for h, w := range lp.watched {
		r, ok := lp.txs.Get(h)
		if !lp.txs.Waiting(h) || ok && r.State != TxPending {
			delete(lp.watched, h)
			continue
		}
		if !all && now.Before(w.due) {
			continue
		}
		w.due = now.Add(n.resubmitAfter())
		resent++
		n.send(&outSubmit{hash: h, tx: w.tx, Attempt: submit.Attempt{Start: now}, watched: true})
	}
	if resent > 0 {
		n.log.Info().Int("txs", resent).Bool("new_term", all).Msg("sent pending transactions again")
	}
}

// abandonWatched answers the waiters of a watched transaction that no
// producer took again within Limits.SubmitAckTimeout (its re-send was
// retried meanwhile): the producer that had accepted it is gone, and none
// other is reachable (a majority of producers down), or the one reached
// does not answer. The outcome is unknown to the submitter, as after
// ErrProducerTimeout: a producer that comes back may still include it.
func (n *Node) abandonWatched(h block.Hash, code uint8, detail string) {
	lp := n.lp
	delete(lp.watched, h)
	reason := reasonNoProducer
	if code == submit.Timeout {
		reason = reasonProducerTimeout
	}
	n.stats.reject("resend-" + reason)
	n.log.Warn().Stringer("tx", h).Str("reason", reason).Str("detail", detail).
		Msg("no producer took a pending transaction again; its submitter gets an error")
	lp.txs.Abandon(h, reason, "accepted, then its producer was lost and no producer took it again: "+detail)
}

// Reasons in a pending receipt that answers a waiter with an error
// (txIndex.abandon, receiptResult).
const (
	reasonNoProducer      = "no-producer"
	reasonProducerTimeout = "producer-timeout"
)

// resubmitAfter is how long a watched transaction may stay pending before
// it is sent again without a term change.
func (n *Node) resubmitAfter() time.Duration { return 2 * n.o.limits.SubmitAckTimeout }

const watchSweep = time.Second
