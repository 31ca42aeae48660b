package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
)

// addFromPeer validates and inserts a block a Conn received (the Conn
// already ran syncChain.VerifyBody: signature, producer authority, body).
// Refusals that a correct peer can cause (duplicates, stale blocks whose
// parent was pruned meanwhile) are counted only; signed content that fails
// execution is the signer's fault (refuseSigned); every other refusal is
// the sender's fault and closes the link with the reason.
func (n *Node) addFromPeer(p *peerState, b *block.Block) {
	now := time.Now()
	id := b.ID()
	res, err := n.chain.Add(b)
	if err != nil {
		n.onAddError(p, b, err)
		return
	}
	n.stats.blocksReceived.Add(1)
	n.prop.Via(id, p.id.String(), p.posted, time.Since(now))
	n.prop.First(b, now, false, n.verifiedHeight(p) > b.Height+CatchUpSlack, "blocksync")
	if n.o.observer != nil {
		n.o.observer.ObserveBlock(BlockObservation{ID: id, Producer: b.Producer, From: p.id,
			Delay: now.Sub(time.Unix(0, b.Timestamp)), Size: b.EncodedSize(), Txs: len(b.Txs),
			CatchingUp: n.verifiedHeight(p) > b.Height+CatchUpSlack})
	}
	n.lp.view.Keep(b)
	n.onResult(res)
	n.bodyArrived(b)
}

func (n *Node) onAddError(p *peerState, b *block.Block, err error) {
	id := b.ID()
	reason := chain.ReasonOf(err)
	if reason.SignersFault() {
		n.refuseSigned(p, b, string(reason), err)
		return
	}
	switch reason {
	case chain.ReasonDuplicate:
		n.stats.duplicates.Add(1)
		n.prop.Duplicate(id, 1)
	case chain.ReasonUnknownParent, chain.ReasonBelowIrreversible:
		// A parent pruned by a new irreversible block between two inserts:
		// stale, not a fault (blocksync.Ready.Blocks).
		n.stats.stale.Add(1)
		n.syncLog.Debug().Str("peer", p.id.String()).Stringer("block", id).Str("reason", string(reason)).Msg("stale block dropped")
	case "":
		n.log.Error().Err(err).Stringer("block", id).Msg("adding a block failed (not the peer's fault)")
		if errors.Is(err, chain.ErrBroken) {
			n.fatal(err)
		}
	default:
		n.refuse(p, id, string(reason), err, true)
	}
}

// refuse counts and logs a refused block; fault charges the peer's score
// (repeated invalid blocks get it banned) and closes the link.
func (n *Node) refuse(p *peerState, id block.ID, reason string, err error, fault bool) {
	n.stats.reject(reason)
	ev := n.syncLog.Warn()
	if !fault {
		ev = n.syncLog.Debug()
	}
	ev.Str("peer", p.id.String()).Stringer("block", id).Str("reason", reason).Err(err).Msg("block refused")
	if fault {
		cause := fmt.Errorf("invalid block %s: %s", id, reason)
		n.penalize(p, cause.Error())
		n.closePeer(p, cause)
	}
}

// onResult follows a chain mutation: the best-chain index, transaction
// inclusion, head events, and a note for settle to tell every Conn.
func (n *Node) onResult(r chain.Result) {
	lp := n.lp
	lp.changed = true
	// The bodies of blocks a fork switch removes, read before update drops
	// the pruned ones: their transactions go back to a mempool.
	var orphans []*block.Block
	for _, id := range r.Removed {
		if b, ok := lp.view.Block(id); ok {
			orphans = append(orphans, b)
		}
	}
	lp.view.Update(r)
	if !r.HeadChanged() {
		return
	}
	for _, id := range r.Removed {
		lp.txs.Unincluded(id)
	}
	for _, id := range r.Added {
		if b, ok := lp.view.Block(id); ok {
			lp.txs.Included(b, n.notifyTx)
		}
	}
	n.requeueOrphans(orphans)
	n.watchTerm()
	n.publishChain()
	n.events.Publish(Event{Kind: EventHead, Time: time.Now(), Block: r.Head, Height: r.Head.Height(), Removed: len(r.Removed)})
}

// bodyArrived tells the engine about a stored block: it may make blocks
// irreversible (raft's commits waited for the body; under BFT the body
// carries a certificate; a header's Irreversible field under CFT).
func (n *Node) bodyArrived(b *block.Block) { n.follow(n.eng.Arrived(loopChain{n}, b)) }

// applyCommits carries out the engine's queued decisions (raft commits,
// BFT certificates).
func (n *Node) applyCommits() { n.follow(n.eng.Drain(loopChain{n})) }

// setIrreversible makes id irreversible in the chain and follows up.
func (n *Node) setIrreversible(id block.ID) {
	lp := n.lp
	prev := n.chain.IrreversibleID()
	if id.Height() <= prev.Height() {
		return
	}
	if !n.chain.Tree().Has(id) {
		n.consLog.Warn().Stringer("block", id).Msg("committed block is not in the fork database")
		return
	}
	res, err := n.chain.SetIrreversible(id)
	if err != nil {
		n.consLog.Error().Err(err).Stringer("block", id).Msg("setting the irreversible block failed")
		n.fatal(err)
		return
	}
	now := time.Now()
	for h := prev.Height() + 1; h <= id.Height(); h++ {
		if bid, ok := lp.view.BestAt(h); ok {
			lp.txs.MarkIrreversible(bid, n.notifyTx)
			n.prop.Irreversible(bid, now)
		}
	}
	lp.view.Passed(prev, id)
	n.refreshProducers()
	n.onResult(res)
	n.publishChain()
	n.events.Publish(Event{Kind: EventIrreversible, Time: now, Block: id, Height: id.Height()})
}

// fatal stops the node after an error that leaves the chain unusable
// (chain.ErrBroken): the database must be reopened.
func (n *Node) fatal(err error) {
	n.log.Error().Err(err).Msg("fatal: stopping the node; restart it to reopen the database")
	go func() { _ = n.Stop() }()
}

// publishChain mirrors head and irreversible headers for lock-free reads.
func (n *Node) publishChain() {
	h, i := n.chain.Head(), n.chain.Irreversible()
	n.head.Store(&h)
	n.irr.Store(&i)
	if n.lp != nil {
		n.lp.sync.Head(time.Now(), h.Height)
	}
}
