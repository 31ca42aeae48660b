package node

import (
	"errors"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodapp"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/producers"
)

// ProducerSetKey is the reserved state key under which the chain records
// the producer set after every block that changed it (absent: the genesis
// set): prodset.SetKey. The nonce of the last applied change is under
// prodset.NonceKey. Transactions of the embedded KV App may write no key
// under prodset.ReservedPrefix.
var ProducerSetKey = prodset.SetKey

// ChangeProducersTx returns the producer-set change transaction that adds
// or removes the producer with peer id id as change number nonce, signed
// by each of signers (producers.ChangeTx). It takes effect only if the
// signers are a quorum of the producer set in force
// (ConsensusStatus.Producers) — or whatever the chain's policy wants — and
// nonce is ConsensusStatus.NextChangeNonce. To collect signatures on
// several machines, have each signer call SignChange and combine the
// shares with prodset.EncodeTx (`blockwire producers sign|add|remove`).
func ChangeProducersTx(chain block.ID, op prodset.Op, id link.PeerID, nonce uint64, signers ...crypto.PrivKey) ([]byte, error) {
	return producers.ChangeTx(chain, op, id, nonce, signers...)
}

// SignChange returns the signature share of node key key for change c on
// the chain whose genesis block is chain (producers.SignChange).
func SignChange(chain block.ID, c prodset.Change, key crypto.PrivKey) (prodset.Signature, error) {
	return producers.SignChange(chain, c, key)
}

// changeQuorum is how many producers of s must sign a change under the
// quorum policy; 0 under another policy.
func (n *Node) changeQuorum(s *producers.View) int {
	return producers.ChangeQuorum(n.app.Policy(), s.Len())
}

// stateSet reads the producer set recorded in the state after block id (a
// block of the fork database).
func (n *Node) stateSet(id block.ID) (*producers.View, bool) {
	v, err := n.chain.StateAt(id)
	if err != nil {
		return nil, false
	}
	s, err := producers.Read(v, n.genesisSet)
	if err != nil {
		n.consLog.Error().Err(err).Stringer("block", id).Msg("reading the producer set failed")
		return nil, false
	}
	return s, true
}

// setFor is the producer set in force for a block with header h
// (prodset.HeaderSetAt): the set after the block h names irreversible, or
// the set in force at this node's irreversible block when that one is
// pruned or not stored yet. exact is true in the first case only: then
// the header's ProducerSet hash must equal the set's.
func (n *Node) setFor(h *block.Header) (s *producers.View, exact bool) {
	if at, ok := prodset.HeaderSetAt(h, n.chain.IrreversibleID()); ok {
		if s, ok := n.stateSet(at); ok {
			return s, true
		}
	}
	return n.set.Load(), false
}

// setForBuild is the producer set a block built on parent (zero: the head)
// carries (prodset.BuildSetAt).
func (n *Node) setForBuild(parent block.ID) *producers.View {
	if parent.IsZero() {
		parent = n.chain.HeadID()
	}
	var ph *block.Header
	if p, ok := n.chain.Tree().Get(parent); ok {
		ph = &p.Header
	}
	if s, ok := n.stateSet(prodset.BuildSetAt(ph, n.chain.IrreversibleID())); ok {
		return s
	}
	return n.set.Load()
}

// checkProducer refuses a block whose producer is not in the set in force
// for it, or whose header names another set (prodset.CheckProducer).
func (n *Node) checkProducer(b *block.Block) (reason string, err error) {
	s, exact := n.setFor(&b.Header)
	r, err := prodset.CheckProducer(&b.Header, s.Set(), exact, n.genesisSet.Set())
	return string(r), err
}

// refreshProducers follows a new irreversible block: the set recorded in
// its state is now in force on this node. Link protection follows the set;
// a node the set took in starts its raft engine (the leader's AddVoter,
// run by the cft engine when the change commits, brings it the
// configuration); a producer the set dropped aborts its engine and learns
// irreversibility from headers like a full node.
func (n *Node) refreshProducers() {
	s, nonce, err := producers.ReadInForce(n.chain.IrreversibleState(), n.genesisSet)
	if err != nil {
		n.consLog.Error().Err(err).Msg("reading the producer set failed")
		return
	}
	n.changeNonce.Store(nonce)
	old := n.set.Load()
	if s.Hash() == old.Hash() {
		return
	}
	// The effective role changes before the new set is published, so
	// whoever sees the new set sees the role that goes with it.
	t := prodset.RoleTransition(n.solo || n.cfg.Consensus.Engine == EngineSolo, n.producer.Load(), s.Set(), string(n.id))
	if t != prodset.Stay {
		n.producer.Store(t == prodset.Join)
	}
	n.set.Store(s)
	n.consLog.Info().Int("producers", s.Len()).Stringer("set", s.Hash()).Msg("producer set changed")
	// Routes follow the set: we announce ourselves while we produce (and
	// until a removal stopped our engine). Removed producers stay
	// admitted until the next change: raft must still reach them.
	d := producers.Compare(old, s, n.id)
	n.retired.Store(&d.Retired)
	n.tr.SetRoutable(n.routable())
	n.tr.Readmit()
	n.setBroadcastProducers()

	n.rbcSetChanged(s)
	if h, ok := n.net.(interface{ SetProtected(link.PeerID, bool) }); ok {
		for _, p := range d.Unprotect {
			h.SetProtected(p, false)
		}
		for _, p := range d.Protect {
			h.SetProtected(p, true)
		}
	}
	switch prev := old.Keys(); t {
	case prodset.Join:
		n.bg.Go(func() {
			if err := n.startEngine(prev); err != nil {
				n.consLog.Error().Err(err).Msg("starting consensus as a new producer failed")
			}
		})
	case prodset.Leave:
		n.bg.Go(func() {
			n.eng.Leave()
			n.tr.SetRoutable(n.routable()) // no longer a destination once stopped
		})
	}
}

// checkChange answers a producer-set change transaction at once, on the
// leader that accepts it, so that Submit gets a clear error instead of a
// rejection only the leader's block builder would see:
//
//   - one change at a time: none may be pending, that is in this leader's
//     mempool, in a block of the best chain above the irreversible block,
//     or committed but not yet carried out in raft's configuration
//     (ErrChangePending). Each change is then checked against the set the
//     one before it left, and raft changes one voter at a time;
//   - its authority and fit against the state after the head (verifyChange;
//     the App checks it again when a block includes it).
//
// A leader change can still leave two changes in flight (the old leader's
// mempool handed over): the App then applies them in order, and the second
// carries a nonce the first used up (replayed-change), so it is refused.
func (n *Node) checkChange(tx []byte) error {
	if !prodset.IsChangeTx(tx) {
		return nil
	}
	if _, _, err := prodset.DecodeTx(tx); err != nil {
		return rejected(prodapp.TxError(err))
	}
	if why := n.pendingChange(); why != "" {
		return &TxRejectedError{Reason: ReasonChangePending, Detail: why}
	}
	return n.verifyChange(tx)
}

// verifyChange checks a change transaction's fit, nonce and authority
// against the state after this node's head, as the App will: every node
// runs it on Submit and before relaying a submit, so an unauthorised
// change is refused where it enters the network. A node whose head lags
// may refuse a change that a later state allows (a nonce it has not seen
// used yet fits; one it has not seen is a gap): the submitter retries
// once the node caught up.
func (n *Node) verifyChange(tx []byte) error {
	if !prodset.IsChangeTx(tx) {
		return nil
	}
	_, _, err := n.app.Verify(n.chain.HeadState(), tx)
	return rejected(err)
}

// rejected turns an App's *chain.TxError into a *TxRejectedError.
func rejected(err error) error {
	var te *chain.TxError
	if errors.As(err, &te) {
		return &TxRejectedError{Reason: te.Reason, Detail: te.Detail}
	}
	return err
}

// pendingChange says which producer-set change is still pending, "" if
// none is (prodset.PendingChange).
func (n *Node) pendingChange() string {
	lp := n.lp
	var pool string
	if h, ok := lp.pool.Find(prodset.IsChangeTx); ok {
		pool = h.String()
	}
	var best []prodset.PendingBlock
	irr := n.chain.IrreversibleID().Height()
	for h := n.chain.HeadID().Height(); h > irr; h-- {
		id, ok := lp.view.BestAt(h)
		if !ok {
			break
		}
		if b, ok := lp.view.Block(id); ok {
			best = append(best, prodset.PendingBlock{ID: id, Txs: b.Txs})
		}
	}
	return prodset.PendingChange(pool, best, n.eng.PendingChanges(), func(tx []byte) string { return txHash(tx).String() })
}
