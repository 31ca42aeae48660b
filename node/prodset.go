package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// ProducerSetKey is the reserved state key under which the chain records
// the producer set after every block that changed it (absent: the genesis
// set): prodset.SetKey. The nonce of the last applied change is under
// prodset.NonceKey. Transactions of the embedded KV App may write no key
// under prodset.ReservedPrefix.
var ProducerSetKey = prodset.SetKey

// ChangeProducersTx returns the producer-set change transaction (version 3,
// docs/protocol.md) that adds (prodset.OpAdd) or removes (prodset.OpRemove)
// the producer with peer id id as change number nonce of the chain whose
// genesis block is chain, signed by each of signers (node keys). It takes
// effect only if the signers are a quorum of the producer set in force
// (ConsensusStatus.Producers) — or whatever the chain's policy wants — and
// nonce is ConsensusStatus.NextChangeNonce. To collect signatures on
// several machines, have each signer call SignChange and combine the
// shares with prodset.EncodeTx (`blockwire producers sign|add|remove`).
func ChangeProducersTx(chain block.ID, op prodset.Op, id link.PeerID, nonce uint64, signers ...crypto.PrivKey) ([]byte, error) {
	c := prodset.Change{Op: op, Peer: string(id), Nonce: nonce}
	sigs := make([]prodset.Signature, 0, len(signers))
	for _, k := range signers {
		s, err := SignChange(chain, c, k)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s)
	}
	return prodset.EncodeTx(c, sigs)
}

// SignChange returns the signature share of node key key for change c on
// the chain whose genesis block is chain.
func SignChange(chain block.ID, c prodset.Change, key crypto.PrivKey) (prodset.Signature, error) {
	if key.Type() != crypto.Ed25519 {
		return prodset.Signature{}, fmt.Errorf("node: signing key is %v, want ed25519", key.Type())
	}
	raw, err := key.Raw()
	if err != nil {
		return prodset.Signature{}, fmt.Errorf("node: signing key: %w", err)
	}
	return prodset.Sign(chain, c, ed25519.PrivateKey(raw)), nil
}

// prodSet is the node's view of an immutable prodset.Set, with maps keyed
// by the link's types for the loop's lookups.
type prodSet struct {
	set   *prodset.Set
	keys  map[block.PublicKey]link.PeerID
	peers map[link.PeerID]block.PublicKey
	// nodes are the producers' routing ids (their node keys).
	nodes map[link.PeerID]route.NodeID
	// routes admits the producers' routing ids (route.Config.Admit).
	routes map[route.NodeID]bool
	hash   block.Hash // block.ProducerSetHash of the keys
}

func wrapSet(set *prodset.Set) *prodSet {
	s := &prodSet{set: set, keys: map[block.PublicKey]link.PeerID{}, peers: map[link.PeerID]block.PublicKey{},
		nodes: map[link.PeerID]route.NodeID{}, routes: map[route.NodeID]bool{}, hash: set.Hash()}
	for _, m := range set.Members() {
		p := link.PeerID(m.Peer)
		s.keys[m.Key] = p
		s.peers[p] = m.Key
		if id, err := transport.NodeIDOf(p); err == nil {
			s.nodes[p] = id
			s.routes[id] = true
		}
	}
	return s
}

// genesisProdSet is the set of a validated genesis (distinct keys, peer
// ids derived from them).
func genesisProdSet(keys []block.PublicKey, peers []link.PeerID) (*prodSet, error) {
	ms := make([]prodset.Member, len(keys))
	for i, k := range keys {
		ms[i] = prodset.Member{Key: k, Peer: string(peers[i])}
	}
	set, err := prodset.NewSet(ms)
	if err != nil {
		return nil, fmt.Errorf("node: genesis producer set: %w", err)
	}
	return wrapSet(set), nil
}

func (s *prodSet) sortedKeys() []block.PublicKey { return s.set.Keys() }

// readProdSet reads the producer set recorded in a state (genesis when the
// key is absent).
func readProdSet(r chain.StateReader, genesis *prodSet) (*prodSet, error) {
	set, err := prodset.ReadSet(r, genesis.set)
	if err != nil {
		return nil, err
	}
	if set == genesis.set {
		return genesis, nil
	}
	return wrapSet(set), nil
}

// changePolicy is the policy that decides a change's authority: the App's
// if it implements prodset.Policy, else WithChangePolicy's, else a
// majority of the producers in force (the CFT quorum).
func changePolicy(o *options) prodset.Policy {
	if p, ok := o.app.(prodset.Policy); ok {
		return p
	}
	if o.policy != nil {
		return o.policy
	}
	return prodset.Quorum{Size: prodset.Majority}
}

// changeQuorum is how many producers of s must sign a change under the
// quorum policy; 0 under another policy.
func (n *Node) changeQuorum(s *prodSet) int {
	q, ok := n.app.policy.(prodset.Quorum)
	switch {
	case !ok:
		return 0
	case q.Size == nil:
		return prodset.Majority(s.set.Len())
	}
	return q.Size(s.set.Len())
}

// producerApp wraps the chain's App: it executes producer-set change
// transactions (prodset.DecodeTx) itself and passes every other one on.
// A change takes effect only if prodset.Verify accepts it on the state
// before it: it fits the set (adds a peer id that embeds an ed25519 key
// and is not a producer yet, or removes a producer other than the last),
// carries the next change nonce, and the policy authorises its signers.
// The set after it and its nonce are written under prodset.SetKey and
// prodset.NonceKey, so the App's state root covers them (the embedded KV
// App hashes every write of a block; a custom App must do the same for
// the root to cover it). A refusal is a *chain.TxError with the
// prodset.Reason, so a block that carries an unauthorised change is
// refused by every node ("bad-tx").
type producerApp struct {
	inner   chain.App
	genesis *prodSet
	chain   block.ID // the genesis id: signatures are bound to it
	policy  prodset.Policy
	kv      *chain.KVLimits // the embedded KV App's limits; nil for a custom App
}

func (a *producerApp) StartBlock(st *chain.State, h *block.Header) (chain.BlockExec, error) {
	ex, err := a.inner.StartBlock(st, h)
	if err != nil {
		return nil, err
	}
	return &producerExec{app: a, inner: ex, st: st}, nil
}

type producerExec struct {
	app   *producerApp
	inner chain.BlockExec
	st    *chain.State
}

func (e *producerExec) ApplyTx(tx []byte) error {
	if !prodset.IsChangeTx(tx) {
		if e.app.kv != nil {
			if ops, err := chain.DecodeKVTx(tx, *e.app.kv); err == nil {
				for _, op := range ops {
					if bytes.HasPrefix(op.Key, prodset.ReservedPrefix) {
						return &chain.TxError{Reason: "reserved-key", Detail: fmt.Sprintf("keys under %q are written by the node only", prodset.ReservedPrefix)}
					}
				}
			}
		}
		return e.inner.ApplyTx(tx)
	}
	next, nonce, err := e.app.verify(e.st, tx)
	if err != nil {
		return err
	}
	e.st.Set(prodset.SetKey, next.Encode())
	e.st.Set(prodset.NonceKey, prodset.EncodeNonce(nonce))
	return nil
}

func (e *producerExec) Finish() (block.Hash, error) { return e.inner.Finish() }

// verify decides a change transaction on state st: the set after it and
// its nonce, a *chain.TxError with the refusal's reason, or another error
// (a corrupt record or a failed read: fatal, not the transaction's fault).
func (a *producerApp) verify(st chain.StateReader, tx []byte) (*prodset.Set, uint64, error) {
	t, _, err := prodset.DecodeTx(tx)
	if err != nil {
		return nil, 0, changeTxError(err)
	}
	cur, err := readProdSet(st, a.genesis)
	if err != nil {
		return nil, 0, err
	}
	last, err := prodset.ReadNonce(st)
	if err != nil {
		return nil, 0, err
	}
	next, err := prodset.Verify(a.policy, a.chain, cur.set, last, t, st)
	if err != nil {
		return nil, 0, changeTxError(err)
	}
	return next, t.Change.Nonce, nil
}

// changeTxError turns a refused change into the App's rejection, leaving
// any other error (fatal) as it is.
func changeTxError(err error) error {
	var pe *prodset.Error
	if errors.As(err, &pe) {
		return &chain.TxError{Reason: string(pe.Reason), Detail: pe.Detail}
	}
	return err
}

// changeAwareValidator refuses change transactions that cannot take effect
// in any state (malformed, or the unsigned version 2) in Submit's stateless
// check, lets other change transactions through (checkChange and the App
// check them against the state) and passes every other transaction to v.
func changeAwareValidator(v TxValidator) TxValidator {
	return func(tx []byte) error {
		if _, ok, err := prodset.DecodeTx(tx); ok {
			return changeTxError(err)
		}
		if v == nil {
			return nil
		}
		return v(tx)
	}
}

// raftChanges lists the changes of a block's transactions as raft server
// changes, in order, for the cft engine (cft.Produced.Changes). The App
// refused every change that is not authorised, so each one here is.
func raftChanges(txs [][]byte) []cft.Change {
	var out []cft.Change
	for _, tx := range txs {
		t, ok, err := prodset.DecodeTx(tx)
		if !ok || err != nil {
			continue
		}
		id := link.PeerID(t.Change.Peer)
		c := cft.Change{Op: cft.OpRemove, ID: raft.ServerID(id.String())}
		if t.Change.Op == prodset.OpAdd {
			c.Op, c.Addr = cft.OpAdd, cft.ServerAddress(id)
		}
		out = append(out, c)
	}
	return out
}

func hasPeer(s *prodSet, id link.PeerID) bool {
	_, ok := s.peers[id]
	return ok
}

// stateSet reads the producer set recorded in the state after block id (a
// block of the fork database).
func (n *Node) stateSet(id block.ID) (*prodSet, bool) {
	v, err := n.chain.StateAt(id)
	if err != nil {
		return nil, false
	}
	s, err := readProdSet(v, n.genesisSet)
	if err != nil {
		n.consLog.Error().Err(err).Stringer("block", id).Msg("reading the producer set failed")
		return nil, false
	}
	return s, true
}

// setFor is the producer set in force for a block with header h: the set
// recorded in the state after the block h names as irreversible (a change
// takes effect once its block is irreversible, and the header says which
// block its producer held irreversible), or, when that block is below this
// node's irreversible block (pruned, no state) or not stored yet, the set
// in force at this node's irreversible block. exact is true in the first
// case only: then the header's ProducerSet hash must equal the set's.
func (n *Node) setFor(h *block.Header) (s *prodSet, exact bool) {
	if h.Irreversible.Height() >= n.chain.IrreversibleID().Height() {
		if s, ok := n.stateSet(h.Irreversible); ok {
			return s, true
		}
	}
	return n.set.Load(), false
}

// setForBuild is the producer set a block built on parent (zero: the head)
// carries: the set after the block it will name irreversible, chosen as
// chain.Builder does (this node's, or the parent's view if newer).
func (n *Node) setForBuild(parent block.ID) *prodSet {
	if parent.IsZero() {
		parent = n.chain.HeadID()
	}
	irr := n.chain.IrreversibleID()
	if p, ok := n.chain.Tree().Get(parent); ok && p.Irreversible.Height() > irr.Height() {
		irr = p.Irreversible
	}
	if s, ok := n.stateSet(irr); ok {
		return s
	}
	return n.set.Load()
}

// checkProducer refuses a block whose producer is not in the set in force
// for it, or whose header names another set. The reason is
// "unknown-producer" (a key never in the set, or removed by a change that
// is irreversible for this block) or "bad-producer-set".
func (n *Node) checkProducer(b *block.Block) (reason string, err error) {
	s, exact := n.setFor(&b.Header)
	if _, ok := s.keys[b.Producer]; !ok {
		why := "is not in the producer set"
		if _, gen := n.genesisSet.keys[b.Producer]; gen {
			why = "was removed from the producer set"
		}
		return "unknown-producer", fmt.Errorf("producer %s %s in force for this block (%d producers)", b.Producer, why, len(s.keys))
	}
	if exact && b.ProducerSet != s.hash {
		return "bad-producer-set", fmt.Errorf("header producer set %s, the set in force after %s is %s", b.ProducerSet, b.Irreversible, s.hash)
	}
	return "", nil
}

// refreshProducers follows a new irreversible block: the set recorded in
// its state is now in force on this node. Link protection follows the set;
// a node the set took in starts its raft engine (the leader's AddVoter,
// run by the cft engine when the change commits, brings it the
// configuration); a producer the set dropped aborts its engine and learns
// irreversibility from headers like a full node.
func (n *Node) refreshProducers() {
	s, nonce, err := n.inForce(n.chain.IrreversibleState())
	if err != nil {
		n.consLog.Error().Err(err).Msg("reading the producer set failed")
		return
	}
	n.changeNonce.Store(nonce)
	old := n.set.Load()
	if s.hash == old.hash {
		return
	}
	// The effective role changes before the new set is published, so
	// whoever sees the new set sees the role that goes with it.
	start, stop := n.switchRole(s)
	n.set.Store(s)
	n.consLog.Info().Int("producers", len(s.keys)).Stringer("set", s.hash).Msg("producer set changed")
	// Routes follow the set: we announce ourselves while we produce (and
	// until a removal stopped our engine). Removed producers stay
	// admitted until the next change: raft must still reach them.
	retired := map[route.NodeID]bool{}
	for id := range old.routes {
		if !s.routes[id] {
			retired[id] = true
		}
	}
	n.retired.Store(&retired)
	n.tr.SetRoutable(n.routable())
	n.tr.Readmit()
	n.setBroadcastProducers()

	n.rbcSetChanged(s)
	if h, ok := n.net.(interface{ SetProtected(link.PeerID, bool) }); ok {
		for p := range old.peers {
			if _, in := s.peers[p]; !in && p != n.id {
				h.SetProtected(p, false)
			}
		}
		for p := range s.peers {
			if _, in := old.peers[p]; !in && p != n.id {
				h.SetProtected(p, true)
			}
		}
	}
	switch {
	case n.bftOn():
		n.bftRole(start, old)
	case start:
		n.bg.Go(n.lateEngine)
	case stop:
		n.bg.Go(n.dropEngine)
	}
}

// switchRole sets the effective role for set s and reports whether this
// node's engine must start (it joined) or stop (it left).
func (n *Node) switchRole(s *prodSet) (start, stop bool) {
	if n.solo || n.cfg.Consensus.Engine == EngineSolo {
		return false, false
	}
	_, in := s.peers[n.id]
	switch {
	case in && !n.producer.Load():
		n.producer.Store(true)
		return true, false
	case !in && n.producer.Load():
		n.producer.Store(false)
		return false, true
	}
	return false, false
}

// inForce reads the producer set and the last change nonce recorded in a
// state.
func (n *Node) inForce(st chain.StateReader) (*prodSet, uint64, error) {
	s, err := readProdSet(st, n.genesisSet)
	if err != nil {
		return nil, 0, err
	}
	nonce, err := prodset.ReadNonce(st)
	return s, nonce, err
}

// lateEngine starts the raft engine of a node the producer set took in.
func (n *Node) lateEngine() {
	n.engMu.Lock()
	defer n.engMu.Unlock()
	if n.stopping || n.engine() != nil || !n.producer.Load() {
		return
	}
	if err := n.startEngine(); err != nil {
		n.consLog.Error().Err(err).Msg("starting consensus as a new producer failed")
		return
	}
	n.consLog.Info().Msg("joined the producers: raft engine started")
}

// dropEngine stops the raft engine of a producer the set removed; the
// node keeps running as a full node. The engine keeps running until raft's
// configuration no longer holds this node, at most removalWait: raft needs
// the removed server's vote to commit its removal when the set was two,
// and a removed leader carries out its own RemoveServer (driveChanges),
// after which raft makes it step down. Close then hands leadership over if
// this node still leads (the removal did not get through in time).
func (n *Node) dropEngine() {
	if e := n.engine(); e != nil {
		n.awaitRemoval(e)
	}
	n.engMu.Lock()
	defer n.engMu.Unlock()
	e := n.engine()
	if n.stopping || e == nil || n.producer.Load() {
		return
	}
	n.eng.Store(nil)
	if err := e.Close(); err != nil && !errors.Is(err, raft.ErrRaftShutdown) && !errors.Is(err, cft.ErrClosed) {
		n.consLog.Warn().Err(err).Msg("stopping consensus after removal")
	}
	n.tr.SetRoutable(n.routable()) // no longer a destination
	n.consLog.Info().Msg("left the producers: raft engine stopped")
}

// removalWait bounds how long a removed producer's engine waits for raft
// to drop it from the configuration before it stops anyway.
const removalWait = 5 * time.Second

// awaitRemoval waits, while this node leads, until raft's latest
// configuration no longer holds it (or removalWait passes, the node stops,
// it is added back, or it no longer leads).
func (n *Node) awaitRemoval(e *cft.Engine) {
	ctx, cancel := context.WithTimeout(n.stopCtx, removalWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	self := raft.ServerID(n.id.String())
	for !n.producer.Load() {
		// Only a leader has something to finish (the removal entry, a
		// hand-off). A follower stops at once: once the leader's
		// configuration dropped it, raft no longer reaches it, and its
		// campaigns would be refused as not-a-member and charged until
		// its links are banned.
		if e.Status().State != raft.Leader.String() {
			return
		}
		conf, err := e.Configuration()
		if err != nil || !slices.ContainsFunc(conf.Servers, func(s raft.Server) bool { return s.ID == self }) {
			return
		}
		select {
		case <-ctx.Done():
			n.consLog.Warn().Msg("raft still lists this removed producer; stopping its engine anyway")
			return
		case <-tick.C:
		}
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
		return rejected(changeTxError(err))
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
	_, _, err := n.app.verify(n.chain.HeadState(), tx)
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
// none is.
func (n *Node) pendingChange() string {
	lp := n.lp
	isChange := prodset.IsChangeTx
	if h, ok := lp.pool.find(isChange); ok {
		return fmt.Sprintf("change %s is waiting in the leader's mempool", h)
	}
	irr := n.chain.IrreversibleID().Height()
	for h := n.chain.HeadID().Height(); h > irr; h-- {
		id, ok := lp.view.BestAt(h)
		if !ok {
			break
		}
		b, ok := lp.view.Block(id)
		if !ok {
			continue
		}
		for _, tx := range b.Txs {
			if isChange(tx) {
				return fmt.Sprintf("change %s in block %s is not irreversible yet", txHash(tx), id)
			}
		}
	}
	if e := n.engine(); e != nil {
		if k := e.Status().PendingChanges; k > 0 {
			return fmt.Sprintf("%d committed change(s) not yet in raft's configuration", k)
		}
	}
	return ""
}
