package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// ProducerSetKey is the reserved state key under which the chain records
// the producer set after every block that changed it (absent: the genesis
// set). Transactions of the embedded KV App may not write it.
//
// Value: for each producer in ascending key order, its 32-byte ed25519
// public key, a uvarint length and its peer id's bytes.
var ProducerSetKey = []byte("\x00blockwire/producer-set")

// ChangeProducersTx returns the transaction that adds (cft.OpAdd) or
// removes (cft.OpRemove) the producer with peer id id: the cft change-tx
// encoding (docs/protocol.md). An ed25519 peer id embeds its public key,
// which is the producer's block-signing key; pub must equal it. Each call
// draws a random nonce, so two requests for the same change (a producer
// removed and later added back) are two transactions with their own
// hashes; submit the same bytes again only to retry the same request.
func ChangeProducersTx(op cft.Op, id link.PeerID, pub block.PublicKey) ([]byte, error) {
	k, err := peerKey(id)
	if err != nil {
		return nil, err
	}
	if k != pub {
		return nil, fmt.Errorf("node: public key %s is not the key of peer %s", pub, id)
	}
	c := cft.Change{Op: op, ID: raft.ServerID(id.String())}
	if op == cft.OpAdd {
		c.Addr = cft.ServerAddress(id)
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("node: change nonce: %w", err)
	}
	return cft.EncodeChangeTx(c, binary.LittleEndian.Uint64(nonce[:]))
}

// peerKey extracts the ed25519 block-signing key a peer id embeds.
func peerKey(id link.PeerID) (block.PublicKey, error) {
	var k block.PublicKey
	pk, err := id.ExtractPublicKey()
	if err != nil {
		return k, fmt.Errorf("node: peer id %s: %w", id, err)
	}
	if pk.Type() != crypto.Ed25519 {
		return k, fmt.Errorf("node: peer id %s has a %v key, want ed25519", id, pk.Type())
	}
	raw, err := pk.Raw()
	if err != nil || len(raw) != len(k) {
		return k, fmt.Errorf("node: peer id %s: bad ed25519 key", id)
	}
	copy(k[:], raw)
	return k, nil
}

// prodSet is an immutable producer set: block-signing keys and peer ids.
type prodSet struct {
	keys  map[block.PublicKey]link.PeerID
	peers map[link.PeerID]block.PublicKey
	hash  block.Hash // block.ProducerSetHash of the keys
}

func newProdSet(keys []block.PublicKey, peers []link.PeerID) *prodSet {
	s := &prodSet{keys: map[block.PublicKey]link.PeerID{}, peers: map[link.PeerID]block.PublicKey{}}
	for i, k := range keys {
		s.keys[k] = peers[i]
		s.peers[peers[i]] = k
	}
	s.hash = block.ProducerSetHash(keys)
	return s
}

func (s *prodSet) sortedKeys() []block.PublicKey {
	ks := make([]block.PublicKey, 0, len(s.keys))
	for k := range s.keys {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b block.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	return ks
}

func (s *prodSet) encode() []byte {
	var b []byte
	for _, k := range s.sortedKeys() {
		p := []byte(s.keys[k])
		b = append(b, k[:]...)
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func decodeProdSet(b []byte) (*prodSet, error) {
	var keys []block.PublicKey
	var peers []link.PeerID
	for len(b) > 0 {
		var k block.PublicKey
		if len(b) < len(k) {
			return nil, errors.New("node: producer set record truncated")
		}
		copy(k[:], b)
		b = b[len(k):]
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return nil, errors.New("node: producer set record truncated")
		}
		keys = append(keys, k)
		peers = append(peers, link.PeerID(b[w:w+int(n)]))
		b = b[w+int(n):]
	}
	if len(keys) == 0 {
		return nil, errors.New("node: empty producer set record")
	}
	return newProdSet(keys, peers), nil
}

// apply returns the set after c, or why c is invalid on s.
func (s *prodSet) apply(c cft.Change) (*prodSet, error) {
	id, err := peer.Decode(string(c.ID))
	if err != nil {
		return nil, fmt.Errorf("server id %q is not a peer id", c.ID)
	}
	keys, peers := make([]block.PublicKey, 0, len(s.keys)+1), make([]link.PeerID, 0, len(s.keys)+1)
	for k, p := range s.keys {
		keys, peers = append(keys, k), append(peers, p)
	}
	switch c.Op {
	case cft.OpAdd:
		if c.Addr != cft.ServerAddress(id) {
			return nil, fmt.Errorf("address %q is not the server id", c.Addr)
		}
		k, err := peerKey(id)
		if err != nil {
			return nil, err
		}
		if _, ok := s.peers[id]; ok {
			return nil, fmt.Errorf("%s is already a producer", id)
		}
		if _, ok := s.keys[k]; ok {
			return nil, fmt.Errorf("key %s is already a producer's", k)
		}
		return newProdSet(append(keys, k), append(peers, id)), nil
	case cft.OpRemove:
		k, ok := s.peers[id]
		if !ok {
			return nil, fmt.Errorf("%s is not a producer", id)
		}
		if len(s.keys) == 1 {
			return nil, fmt.Errorf("%s is the last producer", id)
		}
		i := slices.Index(keys, k)
		return newProdSet(slices.Delete(keys, i, i+1), slices.Delete(peers, i, i+1)), nil
	}
	return nil, fmt.Errorf("unknown operation %d", c.Op)
}

// readProdSet reads the producer set recorded in a state (genesis when the
// key is absent).
func readProdSet(r chain.StateReader, genesis *prodSet) (*prodSet, error) {
	v, ok, err := r.Get(ProducerSetKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return genesis, nil
	}
	return decodeProdSet(v)
}

// producerApp wraps the chain's App: it executes producer-set change
// transactions (cft.DecodeChangeTx) itself and passes every other one on.
// A change must be well formed, add a peer id that embeds an ed25519 key
// and is not a producer yet, or remove a current producer other than the
// last one; the set after it is written under ProducerSetKey, so the App's
// state root covers it (the embedded KV App hashes every write of a block;
// a custom App must do the same for the root to cover it).
type producerApp struct {
	inner   chain.App
	genesis *prodSet
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
	c, ok, err := cft.DecodeChangeTx(tx)
	if !ok {
		if e.app.kv != nil {
			if ops, err := chain.DecodeKVTx(tx, *e.app.kv); err == nil {
				for _, op := range ops {
					if bytes.Equal(op.Key, ProducerSetKey) {
						return &chain.TxError{Reason: "reserved-key", Detail: "the producer set key is written by change transactions only"}
					}
				}
			}
		}
		return e.inner.ApplyTx(tx)
	}
	if err != nil {
		return &chain.TxError{Reason: "malformed", Detail: err.Error()}
	}
	cur, err := readProdSet(e.st, e.app.genesis)
	if err != nil {
		return err // a corrupt record is fatal, not the transaction's fault
	}
	next, err := cur.apply(c)
	if err != nil {
		return &chain.TxError{Reason: "bad-producer-change", Detail: err.Error()}
	}
	e.st.Set(ProducerSetKey, next.encode())
	return nil
}

func (e *producerExec) Finish() (block.Hash, error) { return e.inner.Finish() }

// changeAwareValidator lets well-formed change transactions through
// Submit's stateless check (the producer's App checks them against the
// set) and passes every other one to v.
func changeAwareValidator(v TxValidator) TxValidator {
	return func(tx []byte) error {
		if _, ok, err := cft.DecodeChangeTx(tx); ok {
			if err != nil {
				return &chain.TxError{Reason: "malformed", Detail: err.Error()}
			}
			return nil
		}
		if v == nil {
			return nil
		}
		return v(tx)
	}
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
	s, err := readProdSet(n.chain.IrreversibleState(), n.genesisSet)
	if err != nil {
		n.consLog.Error().Err(err).Msg("reading the producer set failed")
		return
	}
	old := n.set.Load()
	if s.hash == old.hash {
		return
	}
	n.set.Store(s)
	n.consLog.Info().Int("producers", len(s.keys)).Stringer("set", s.hash).Msg("producer set changed")
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
	if n.solo || n.cfg.Consensus.Engine == EngineSolo {
		return
	}
	_, in := s.peers[n.id]
	switch {
	case in && !n.producer.Load():
		n.producer.Store(true)
		n.bg.Go(n.lateEngine)
	case !in && n.producer.Load():
		n.producer.Store(false)
		n.bg.Go(n.dropEngine)
	}
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
	n.consLog.Info().Msg("left the producers: raft engine stopped")
}

// removalWait bounds how long a removed producer's engine waits for raft
// to drop it from the configuration before it stops anyway.
const removalWait = 5 * time.Second

// awaitRemoval waits until raft's latest configuration no longer holds
// this node (or removalWait passes, the node stops, or it is added back).
func (n *Node) awaitRemoval(e *cft.Engine) {
	ctx, cancel := context.WithTimeout(n.stopCtx, removalWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	self := raft.ServerID(n.id.String())
	for !n.producer.Load() {
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
//   - against the producer set after the head (the App checks it again when
//     a block includes it), and
//   - one change at a time: none may be pending, that is in this leader's
//     mempool, in a block of the best chain above the irreversible block,
//     or committed but not yet carried out in raft's configuration
//     (ErrChangePending). Each change is then checked against the set the
//     one before it left, and raft changes one voter at a time.
//
// A leader change can still leave two changes in flight (the old leader's
// mempool handed over): the App then applies them in order, each against
// the set the other left, and rejects one that no longer fits.
func (n *Node) checkChange(tx []byte) error {
	c, ok, err := cft.DecodeChangeTx(tx)
	if !ok {
		return nil
	}
	if err != nil {
		return &TxRejectedError{Reason: "malformed", Detail: err.Error()}
	}
	if why := n.pendingChange(); why != "" {
		return &TxRejectedError{Reason: ReasonChangePending, Detail: why}
	}
	cur, err := readProdSet(n.chain.HeadState(), n.genesisSet)
	if err != nil {
		return err
	}
	if _, err := cur.apply(c); err != nil {
		return &TxRejectedError{Reason: "bad-producer-change", Detail: err.Error()}
	}
	return nil
}

// pendingChange says which producer-set change is still pending, "" if
// none is.
func (n *Node) pendingChange() string {
	lp := n.lp
	isChange := func(tx []byte) bool { return bytes.HasPrefix(tx, []byte(cft.ChangeTxPrefix)) }
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
