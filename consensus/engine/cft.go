package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
)

// CFTConfig configures the raft engine of a node (NewCFT).
type CFTConfig struct {
	// Raft is the engine's configuration from the node's [consensus]
	// section; NewCFT fills LocalID, Genesis, Logger, ServerOf and, on a
	// genesis producer, Bootstrap.
	Raft cft.Config
	// Self is this node; GenesisPeers the genesis producers (a producer a
	// change added passes no bootstrap: the leader's AddVoter brings it
	// the configuration).
	Self         link.PeerID
	GenesisPeers []link.PeerID
	Genesis      block.ID
	DB           *pebble.DB
	// Messenger carries raft (the routed transport's consensus class).
	Messenger cft.Messenger
	// Refused is cft.Deps.Refused (the node charges the origin).
	Refused func(*cft.RefusedError)
	Logger  zerolog.Logger
	// RemovalWait bounds how long a removed producer's engine waits for
	// raft to drop it from the configuration before it stops anyway
	// (default 5 s).
	RemovalWait time.Duration
}

// CFT is consensus.engine = "cft": hashicorp/raft among the producers
// (consensus/cft) on producers, and on every node the gate that makes a
// block irreversible once its id is committed (from raft, or from a later
// header's Irreversible field) and its body is stored.
type CFT struct {
	cfg  CFTConfig
	host Host
	log  zerolog.Logger

	eng atomic.Pointer[cft.Engine]
	// mu orders starting and stopping the raft engine; stopping is set
	// under it by Stop.
	mu       sync.Mutex
	stopping bool
	ctx      context.Context // cancelled by Stop
	cancel   context.CancelFunc

	commits commitQueue
	gate    headerGate // loop goroutine only

	look atomic.Pointer[raftLook]
}

// NewCFT returns the engine of a node; nothing runs until Start.
func NewCFT(cfg CFTConfig, host Host) *CFT {
	if cfg.RemovalWait == 0 {
		cfg.RemovalWait = 5 * time.Second
	}
	e := &CFT{cfg: cfg, host: host, log: cfg.Logger}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.commits.signal = newSignal()
	return e
}

var _ Engine = (*CFT)(nil)

// Raft returns the raft engine while it runs (nil otherwise): for
// operators' tools and tests (leadership transfer, configuration).
func (e *CFT) Raft() *cft.Engine { return e.eng.Load() }

// Start starts raft riding the configured messenger: producers need no
// links among themselves, only routes.
func (e *CFT) Start(prev []block.PublicKey) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping || e.eng.Load() != nil || !e.host.Member() {
		return nil
	}
	cc := e.cfg.Raft
	cc.LocalID = raft.ServerID(e.cfg.Self.String())
	cc.Genesis = e.cfg.Genesis
	cc.Logger = e.cfg.Logger
	cc.ServerOf = ServerOf
	if slices.Contains(e.cfg.GenesisPeers, e.cfg.Self) {
		for _, p := range e.cfg.GenesisPeers {
			cc.Bootstrap = append(cc.Bootstrap, raft.Server{ID: raft.ServerID(p.String()), Address: cft.ServerAddress(p), Suffrage: raft.Voter})
		}
	}
	eng, err := cft.New(cc, cft.Deps{DB: e.cfg.DB, Messenger: e.cfg.Messenger,
		Producer: cftProducer{e}, Applier: &e.commits, Refused: e.cfg.Refused, Peers: e.peers})
	if err != nil {
		return fmt.Errorf("engine: starting raft: %w", err)
	}
	e.eng.Store(eng)
	if prev != nil {
		e.log.Info().Msg("joined the producers: raft engine started")
	}
	return nil
}

// Leave stops the raft engine of a producer the set removed; the node
// keeps running as a full node. The engine keeps running until raft's
// configuration no longer holds this node, at most RemovalWait: raft needs
// the removed server's vote to commit its removal when the set was two,
// and a removed leader carries out its own RemoveServer (driveChanges),
// after which raft makes it step down. Close then hands leadership over if
// this node still leads (the removal did not get through in time).
func (e *CFT) Leave() {
	if r := e.eng.Load(); r != nil {
		e.awaitRemoval(r)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.eng.Load()
	if e.stopping || r == nil || e.host.Member() {
		return
	}
	e.eng.Store(nil)
	if err := r.Close(); err != nil && !errors.Is(err, raft.ErrRaftShutdown) && !errors.Is(err, cft.ErrClosed) {
		e.log.Warn().Err(err).Msg("stopping consensus after removal")
	}
	e.log.Info().Msg("left the producers: raft engine stopped")
}

// awaitRemoval waits, while this node leads, until raft's latest
// configuration no longer holds it (or RemovalWait passes, the node stops,
// it is added back, or it no longer leads).
func (e *CFT) awaitRemoval(r *cft.Engine) {
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.RemovalWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	self := raft.ServerID(e.cfg.Self.String())
	for !e.host.Member() {
		// Only a leader has something to finish (the removal entry, a
		// hand-off). A follower stops at once: once the leader's
		// configuration dropped it, raft no longer reaches it, and its
		// campaigns would be refused as not-a-member and charged until
		// its links are banned.
		if r.Status().State != raft.Leader.String() {
			return
		}
		conf, err := r.Configuration()
		if err != nil || !slices.ContainsFunc(conf.Servers, func(s raft.Server) bool { return s.ID == self }) {
			return
		}
		select {
		case <-ctx.Done():
			e.log.Warn().Msg("raft still lists this removed producer; stopping its engine anyway")
			return
		case <-tick.C:
		}
	}
}

// Stop hands leadership to another voter (handoff, when there is one)
// and shuts raft down; without handoff it aborts like a crash.
func (e *CFT) Stop(handoff bool) error {
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	e.cancel()
	r := e.eng.Load()
	if r == nil {
		return nil
	}
	var err error
	if handoff && e.otherVoters(r) {
		err = r.Close()
	} else {
		err = r.Abort()
	}
	if err != nil && !errors.Is(err, raft.ErrRaftShutdown) {
		return fmt.Errorf("engine: consensus shutdown: %w", err)
	}
	return nil
}

// otherVoters reports whether leadership can be handed to another voter; a
// lone producer skips the transfer (raft would only fail to find a peer).
func (e *CFT) otherVoters(r *cft.Engine) bool {
	conf, err := r.Configuration()
	if err != nil {
		return true
	}
	for _, s := range conf.Servers {
		if s.Suffrage == raft.Voter && s.ID != raft.ServerID(e.cfg.Self.String()) {
			return true
		}
	}
	return false
}

// Running reports whether raft runs here.
func (e *CFT) Running() bool { return e.eng.Load() != nil }

// raftLook is the raft leader as last read; it is read at most once per
// lookTTL, because the engine's Status takes several locks and copies the
// FSM state, and submits ask for every transaction.
type raftLook struct {
	at     time.Time
	leader link.PeerID
}

const lookTTL = 5 * time.Millisecond

// Leader is raft's leader while raft runs here.
func (e *CFT) Leader() (link.PeerID, bool) {
	r := e.eng.Load()
	if r == nil {
		return "", false
	}
	now := time.Now()
	if l := e.look.Load(); l != nil && now.Sub(l.at) < lookTTL {
		return l.leader, true
	}
	l := &raftLook{at: now}
	if id, err := peer.Decode(string(r.Status().Leader)); err == nil {
		l.leader = id
	}
	e.look.Store(l)
	return l.leader, true
}

// Leading reports whether this node is raft's leader.
func (e *CFT) Leading() bool {
	l, ok := e.Leader()
	return ok && l == e.cfg.Self
}

// PendingChanges counts committed changes not yet in raft's configuration.
func (e *CFT) PendingChanges() int {
	if r := e.eng.Load(); r != nil {
		return r.Status().PendingChanges
	}
	return 0
}

// Status is raft's state while it runs here.
func (e *CFT) Status() Status {
	r := e.eng.Load()
	if r == nil {
		return Status{}
	}
	st := r.Status()
	s := Status{Running: true, Term: st.Term, Producing: st.Producing, LeaderKnown: true, Raft: &st}
	if id, err := peer.Decode(string(st.Leader)); err == nil {
		s.Leader = id
	}
	return s
}

// Signal is written when raft committed blocks.
func (e *CFT) Signal() <-chan struct{} { return e.commits.signal }

// Arrived feeds the gate (headerGate.arrived).
func (e *CFT) Arrived(c Chain, b *block.Block) Follow { return e.gate.arrived(c, b) }

// Drain takes the blocks raft committed.
func (e *CFT) Drain(c Chain) Follow {
	g := e.gate.of(c)
	var f Follow
	irr := c.IrreversibleID().Height()
	for _, cm := range e.commits.take() {
		if cm.ID.Height() <= irr {
			continue // raft replays its log after a restart
		}
		if id, moved := g.Committed(cm.ID); moved {
			f.irreversible(id)
			irr = id.Height()
		}
	}
	return f
}

// peers is cft.Deps.Peers: the producer set the node holds in force (from
// its irreversible state), whose members may speak raft to it. It matters
// most on a producer added by a change, whose raft configuration lists
// nobody until the leader's first AppendEntries.
func (e *CFT) peers() []raft.ServerID {
	keys := e.host.Producers()
	out := make([]raft.ServerID, 0, len(keys))
	for _, k := range keys {
		out = append(out, raft.ServerID(link.PeerID(prodset.PeerOfKey(k)).String()))
	}
	return out
}

// cftProducer is raft's Producer: the host builds the block on its loop.
type cftProducer struct{ e *CFT }

// Produce builds the next block on req.Parent, the last block the raft log
// committed (or the one this leader produced last). The head may be above
// it: a crashed leader's last block, disseminated before raft replicated
// its id, can never commit after this leader's Barrier; the new block's
// higher term wins fork choice over it, and irreversibility prunes it.
func (p cftProducer) Produce(ctx context.Context, req cft.ProduceRequest) (cft.Produced, error) {
	// The engine asks only while it leads: no need to wait for the next
	// look at raft's status to accept transactions here.
	p.e.look.Store(&raftLook{at: time.Now(), leader: p.e.cfg.Self})
	blk, err := p.e.host.Build(ctx, Build{Term: req.Term, Parent: req.Parent})
	if err != nil {
		return cft.Produced{}, err
	}
	enc := blk.SignedHeader.AppendEncoding(nil)
	return cft.Produced{ID: blk.ID(), HeaderHash: sha256.Sum256(enc), Header: &blk.SignedHeader, Changes: RaftChanges(blk.Txs)}, nil
}

// RaftChanges lists the producer-set changes of a block's transactions as
// raft server changes, in order (cft.Produced.Changes). The App refused
// every change that is not authorised, so each one here is.
func RaftChanges(txs [][]byte) []cft.Change {
	var out []cft.Change
	for _, c := range prodset.Changes(txs) {
		id := link.PeerID(c.Peer)
		ch := cft.Change{Op: cft.OpRemove, ID: raft.ServerID(id.String())}
		if c.Op == prodset.OpAdd {
			ch.Op, ch.Addr = cft.OpAdd, cft.ServerAddress(id)
		}
		out = append(out, ch)
	}
	return out
}

// ServerOf is cft.Config.ServerOf: a producer's block-signing key is the
// ed25519 key its peer id embeds, and the peer id string is its raft
// server id. A pure function of the key, so every member maps alike.
func ServerOf(k block.PublicKey) (raft.ServerID, bool) {
	pk, err := crypto.UnmarshalEd25519PublicKey(k[:])
	if err != nil {
		return "", false
	}
	id, err := peer.IDFromPublicKey(pk)
	if err != nil {
		return "", false
	}
	return raft.ServerID(id.String()), true
}

// commitQueue is the cft.Applier: raft's FSM goroutine must never wait for
// the node's loop (the loop may be answering the engine's Produce, and
// raft's shutdown waits for the FSM), so commits queue without bound here
// (a few dozen bytes per block) and the loop drains them.
type commitQueue struct {
	mu     sync.Mutex
	q      []cft.Commit
	signal chan struct{}
}

// Commit implements cft.Applier.
func (c *commitQueue) Commit(cm cft.Commit) {
	c.mu.Lock()
	c.q = append(c.q, cm)
	c.mu.Unlock()
	wake(c.signal)
}

func (c *commitQueue) take() []cft.Commit {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.q
	c.q = nil
	return q
}
