package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/engine"
)

// buildFor builds this producer's block for the engine (engine.Host's
// Build) on r.Parent: under CFT the last block the raft log committed (or
// the one this leader produced last; the head may be above it: a crashed
// leader's last block, disseminated before raft replicated its id, can
// never commit after this leader's Barrier, and the new block's higher
// term wins fork choice over it), under BFT the parent the engine names.
func (n *Node) buildFor(r engine.Build) (*block.Block, error) {
	// Commits and finalizations queued before go into the chain first:
	// the block names the newest irreversible block.
	n.applyCommits()
	// A change that removes this producer may have just become
	// irreversible: its blocks would be refused everywhere (and their ids
	// would stall the raft log), so it produces no more.
	if !n.setForBuild(r.Parent).HasKey(n.pub) || !n.producer.Load() {
		return nil, fmt.Errorf("node: %s is not in the producer set in force", n.id)
	}
	if !n.chain.Tree().Has(r.Parent) {
		return nil, fmt.Errorf("node: parent %s not in the fork database yet (body missing)", r.Parent)
	}
	if head := n.chain.HeadID(); head != r.Parent {
		n.consLog.Info().Stringer("parent", r.Parent).Stringer("head", head).
			Msg("building on the committed parent, not the uncommitted head")
	}
	return n.buildCert(r.Term, r.Parent, time.Now(), r.Certificate)
}

// produceSolo makes a block and makes it irreversible at once.
func (n *Node) produceSolo(now time.Time) {
	term := max(n.chain.Head().Term, 1)
	blk, err := n.build(term, block.ID{}, now)
	if err != nil {
		n.consLog.Error().Err(err).Msg("producing a block failed")
		return
	}
	n.setIrreversible(blk.ID())
}

// build makes, stores and syncs a block on parent (zero: the head) with
// transactions from the mempool, then lets settle hand it to every Conn.
func (n *Node) build(term uint64, parent block.ID, now time.Time) (*block.Block, error) {
	return n.buildCert(term, parent, now, nil)
}

// buildCert is build with the BFT finalization the body carries.
func (n *Node) buildCert(term uint64, parent block.ID, now time.Time, cert []byte) (*block.Block, error) {
	lp := n.lp
	b, err := n.chain.StartBlock(chain.ProduceParams{Term: term, Timestamp: now.UnixNano(), ProducerSet: n.setForBuild(parent).Hash(), Parent: parent, Certificate: cert})
	if err != nil {
		return nil, err
	}
	// What every peer's decoder accepts (blockLimits): the encoding's fixed
	// part (version, header, signature, counts) is under 512 bytes, and
	// each transaction costs its length plus a varint of at most 8.
	// The producer's own budget (consensus.max_block_bytes) is smaller:
	// a backlog goes over several blocks (issue 19: one 29 MB block held
	// a network a minute behind its producer), but a transaction above it
	// goes alone rather than never.
	lim := n.blockLimits()
	accepted := lim.MaxBlockBytes - 512
	budget := min(n.cfg.Consensus.MaxBlockBytes, lim.MaxBlockBytes) - 512
	below := n.chain.HeadID().Height()
	if !parent.IsZero() {
		below = parent.Height()
	}
	for b.Len() < min(n.cfg.Consensus.MaxBlockTxs, lim.MaxTxs) {
		room := budget
		if b.Len() == 0 {
			room = max(budget, accepted)
		}
		tx, hash, ok := lp.pool.Peek(room)
		if !ok {
			break
		}
		lp.pool.Pop()
		if r, ok := lp.txs.Get(hash); ok && (r.State == TxIrreversible || r.State == TxIncluded && r.Height <= below) {
			// Already in this block's chain: a transaction handed off,
			// re-queued or sent again after a leader change whose first
			// copy made it after all.
			continue
		}
		err := b.ApplyTx(tx)
		switch {
		case err == nil:
			budget -= len(tx) + 8
		case errors.Is(err, chain.ErrTxRejected):
			lp.txs.Reject(hash, txReason(err), err.Error(), n.notifyTx)
		default:
			return nil, err
		}
	}
	blk, res, err := b.Finish(n.signer)
	if err != nil {
		return nil, err
	}
	// Durable before raft or any peer hears of it (chain duty 4).
	if err := n.chain.Sync(); err != nil {
		return nil, err
	}
	n.stats.produced.Add(1)
	n.prop.First(blk, time.Now(), true, false, "")
	lp.view.Keep(blk)
	n.onResult(res)
	n.bodyArrived(blk)
	// Disseminate before the engine appends the id to the raft log.
	n.settle()
	n.gossipPublish(blk)
	return blk, nil
}

func txReason(err error) string {
	var te *chain.TxError
	if errors.As(err, &te) {
		return te.Reason
	}
	return "rejected"
}
