package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/chain/txpool"
	"github.com/blockwire/blockwire/transport/submit"
)

// Submit sends a transaction to the current producer and waits until it is
// in a block on this node's best chain. It fails fast with a
// *TxRejectedError for a transaction the validator refuses, with
// ErrNoProducer when no producer is reachable, with ErrProducerTimeout when
// the producer reached does not answer within Limits.SubmitAckTimeout
// (consensus.submit_ack_timeout), and with ErrTxTimeout when the transaction was
// accepted but not included before ctx's deadline or Limits.SubmitTimeout,
// whichever is first. It never waits longer than that. A transaction
// accepted by a leader that then stepped down or died is sent to the next
// leader; if no producer takes it within Limits.SubmitAckTimeout, Submit
// fails with ErrNoProducer or ErrProducerTimeout (outcome unknown: see the
// package documentation, "Leader changes"). Use WaitTx for
// irreversibility.
func (n *Node) Submit(ctx context.Context, tx []byte) (TxReceipt, error) {
	ctx, cancel := context.WithTimeout(ctx, n.o.limits.SubmitTimeout)
	defer cancel()
	w := txpool.NewWaiter(TxIncluded)
	h, err := n.submit(ctx, tx, w)
	if err != nil {
		return TxReceipt{Hash: h}, err
	}
	return n.await(ctx, h, w)
}

// SubmitAsync is Submit without the wait for inclusion: it returns the
// transaction's hash once a producer accepted it into its mempool (follow
// it with WaitTx, TxStatus or head events). Load generators use it.
func (n *Node) SubmitAsync(ctx context.Context, tx []byte) (block.Hash, error) {
	ctx, cancel := context.WithTimeout(ctx, n.o.limits.SubmitTimeout)
	defer cancel()
	return n.submit(ctx, tx, nil)
}

// submit validates tx, registers w (if any) and hands tx to the producer,
// waiting for its acceptance.
func (n *Node) submit(ctx context.Context, tx []byte, w *txpool.Waiter) (block.Hash, error) {
	if n.o.validate != nil {
		if err := n.o.validate(tx); err != nil {
			return block.Hash{}, &TxRejectedError{Reason: txReason(err), Detail: err.Error()}
		}
	}
	if err := n.checkSize(tx); err != nil {
		return block.Hash{}, err
	}
	n.stats.txSubmitted.Add(1)
	h := txHash(tx)
	tx = append([]byte(nil), tx...)
	ack := make(chan error, 1)
	if err := n.call(ctx, func() {
		// A new submit asks again: an earlier rejection of the same bytes
		// is not its answer (see accept).
		if r, ok := n.lp.txs.Get(h); ok && r.State == TxRejected {
			n.lp.txs.Retry(h)
		}
		if w != nil {
			n.lp.txs.Wait(h, w)
			n.watch(h, tx)
		}
		n.submitLocal(h, tx, ack)
	}); err != nil {
		return h, err
	}
	select {
	case err := <-ack:
		if err != nil && w != nil {
			n.unwait(h, w)
		}
		return h, err
	case <-ctx.Done():
		if w != nil {
			n.unwait(h, w)
		}
		return h, fmt.Errorf("%w: %w", ErrProducerTimeout, ctx.Err())
	case <-n.quit:
		return h, ErrStopped
	}
}

// WaitTx waits until the transaction with hash reaches state (TxIncluded or
// TxIrreversible) or is rejected, or ctx ends (ErrTxTimeout).
func (n *Node) WaitTx(ctx context.Context, hash block.Hash, state TxState) (TxReceipt, error) {
	w := txpool.NewWaiter(state)
	if err := n.call(ctx, func() { n.lp.txs.Wait(hash, w) }); err != nil {
		return TxReceipt{}, err
	}
	return n.await(ctx, hash, w)
}

func (n *Node) await(ctx context.Context, h block.Hash, w *txpool.Waiter) (TxReceipt, error) {
	select {
	case r := <-w.C:
		return receiptResult(r)
	case <-ctx.Done():
		n.unwait(h, w)
		return TxReceipt{Hash: h, State: TxPending}, fmt.Errorf("%w: %w", ErrTxTimeout, ctx.Err())
	case <-n.quit:
		return TxReceipt{Hash: h}, ErrStopped
	}
}

func receiptResult(r TxReceipt) (TxReceipt, error) {
	switch {
	case r.State == TxRejected:
		return r, &TxRejectedError{Reason: r.Reason, Detail: r.Detail}
	case r.State == TxPending && r.Reason == reasonNoProducer:
		// A producer had accepted it (txIndex.abandon): it may come back.
		return r, unknownOutcome{fmt.Errorf("%w: %s", ErrNoProducer, r.Detail)}
	case r.State == TxPending && r.Reason == reasonProducerTimeout:
		return r, fmt.Errorf("%w: %s", ErrProducerTimeout, r.Detail)
	}
	return r, nil
}

// unwait drops w on the loop without waiting for it: a cleanup, which
// must run however busy the loop is (call would abandon it).
func (n *Node) unwait(h block.Hash, w *txpool.Waiter) {
	n.post(input{kind: inCall, fn: func() { n.lp.txs.Unwait(h, w) }})
}

// TxStatus returns what the node knows about a recent transaction.
func (n *Node) TxStatus(ctx context.Context, hash block.Hash) (TxReceipt, error) {
	var r TxReceipt
	var ok bool
	if err := n.call(ctx, func() { r, ok = n.lp.txs.Get(hash) }); err != nil {
		return TxReceipt{}, err
	}
	if !ok {
		return TxReceipt{}, fmt.Errorf("%w: transaction %s", ErrNotFound, hash)
	}
	return r, nil
}

func (n *Node) notifyTx(r *TxReceipt) { n.lp.txs.Deliver(r) }

// maxTx is the largest transaction accepted: half a block, never more than
// the block decoder's per-transaction limit, and never more than a submit
// routed to the leader carries. Every node, the leader too, holds to the
// last: a transaction the leader would take directly but no other node
// could forward fails as soon as it lands on a node that has just lost the
// lead (issue 19: 1 MiB transactions failed with the route's payload limit
// after leader changes).
func (n *Node) maxTx() int {
	lim := n.blockLimits()
	m := min(lim.MaxBlockBytes/2, lim.MaxTxBytes)
	if n.tr != nil {
		m = min(m, submit.MaxTx(n.tr.MaxPayload()))
	}
	return m
}

// blockLimits are the limits every node decodes blocks with.
func (n *Node) blockLimits() block.Limits {
	lim := block.DefaultLimits()
	lim.MaxBlockBytes = n.cfg.P2P.MaxBlockBytes
	return lim
}

// submitLocal accepts tx here if this node produces, else forwards it.
func (n *Node) submitLocal(h block.Hash, tx []byte, ack chan error) {
	if r, ok := n.lp.txs.Get(h); ok && r.State != TxPending {
		ack <- nil // the waiter has its answer already
		return
	}
	if n.leading() {
		ack <- n.accept(h, tx)
		return
	}
	// A change without authority stops here, on whatever node it entered.
	if err := n.verifyChange(tx); err != nil {
		var te *TxRejectedError
		if errors.As(err, &te) {
			n.lp.txs.Reject(h, te.Reason, te.Detail, n.notifyTx)
		}
		ack <- err
		return
	}
	n.forward(h, tx, ack)
}

// precheck is the stateless check of a transaction (the App's validator
// and the size limit) that a leader makes before accepting it and a relay
// before forwarding it.
func (n *Node) precheck(tx []byte) error {
	if n.o.validate != nil {
		if err := n.o.validate(tx); err != nil {
			return &TxRejectedError{Reason: txReason(err), Detail: err.Error()}
		}
	}
	return n.checkSize(tx)
}

// checkSize refuses a transaction above maxTx.
func (n *Node) checkSize(tx []byte) error {
	if len(tx) > n.maxTx() {
		return &TxRejectedError{Reason: "too-large", Detail: fmt.Sprintf("%d bytes, limit %d", len(tx), n.maxTx())}
	}
	return nil
}

// accept puts a transaction in this producer's mempool.
func (n *Node) accept(h block.Hash, tx []byte) error {
	lp := n.lp
	if err := n.precheck(tx); err != nil {
		return err
	}
	// Already here: in the mempool, or in a block (the submitter sees it
	// there). A rejection is not final: the same bytes may be valid now
	// (a change refused earlier; an App whose answer depends on the
	// state), so a rejected transaction is checked and queued again.
	if n.inChain(h) || lp.pool.Has(h) {
		return nil
	}
	if err := n.checkChange(tx); err != nil {
		return err
	}
	if !lp.pool.Add(h, tx) {
		n.stats.reject("mempool-full")
		return &TxRejectedError{Reason: "mempool-full", Detail: fmt.Sprintf("%d transactions pending", lp.pool.Len())}
	}
	lp.txs.Retry(h)
	n.stats.txAccepted.Add(1)
	return nil
}

// inChain reports whether the transaction with hash h is in a block of
// this node's best chain (included or irreversible).
func (n *Node) inChain(h block.Hash) bool {
	r, ok := n.lp.txs.Get(h)
	return ok && (r.State == TxIncluded || r.State == TxIrreversible)
}
