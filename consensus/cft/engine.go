package cft

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
)

// ProduceRequest asks the Producer for the next block.
type ProduceRequest struct {
	// Term is the raft term this node leads; it goes into the header.
	Term uint64
	// Parent is the block to build on: the last committed block right after
	// the node took office, then the block it produced last.
	Parent block.ID
	// Irreversible is the last block this node has applied from the raft
	// log; it goes into the header's Irreversible field so non-producers
	// learn irreversibility from headers.
	Irreversible block.ID
	// NoVia is set after the FSM refused a block this engine re-proposed
	// on Parent (ErrUnauthorizedEntry: typically signed by a producer
	// removed since it built the block). The producer must then build on
	// Parent itself and return no Via: the new block's higher term wins
	// fork choice over the refused one. The engine skips a tick whose
	// Produced has Via while NoVia is set.
	NoVia bool
}

// Produced is what the Producer built.
type Produced struct {
	// ID is the new block's id; its height is Parent's plus one, or the
	// last Via block's plus one.
	ID block.ID
	// HeaderHash is a hash of the signed header, recorded in the raft log so
	// a node can check that the body it fetches is the one committed.
	HeaderHash block.Hash
	// Changes are the producer-set changes the block's transactions make
	// (consensus/prodset), at most 64; they take effect when the block
	// commits.
	Changes []Change
	// Header is the block's signed header. Required when
	// Config.ServerOf is set: the raft entry then carries it, and every
	// member checks the signature and the signer's membership before
	// applying the entry (fsmState.authorize).
	Header *block.SignedHeader
	// Via lists, oldest first, stored blocks between ProduceRequest.Parent
	// and the new block, when the producer built on a descendant of Parent
	// rather than on Parent itself: typically a block a deposed leader
	// disseminated whose id never reached the raft log, now the chain's
	// best head. The engine appends Via's ids before ID's, so the raft log
	// adopts them. Empty when the block's parent is Parent.
	Via []Link
}

// Link is a stored block the leader re-proposes (Produced.Via).
type Link struct {
	ID         block.ID
	HeaderHash block.Hash
	Changes    []Change
	Header     *block.SignedHeader // as Produced.Header
}

// Producer builds blocks when this node leads. Produce builds a block on
// req.Parent, stores it in the block log and hands its body to dissemination
// (blocksync) before it returns; the engine then appends the id to the raft
// log. It is called from the engine's goroutine, one call at a time, and
// must honour ctx (cancelled on Close). On error the engine skips the tick.
type Producer interface {
	Produce(ctx context.Context, req ProduceRequest) (Produced, error)
}

// Deps are the engine's collaborators. The engine does not own DB: the
// caller closes it after Engine.Close returns. The engine owns Stream and
// closes it; it does not own Messenger.
type Deps struct {
	DB *pebble.DB
	// Messenger carries raft as messages (MsgTransport): routed unicast in
	// a node, MemMessenger in tests. It takes precedence over Stream; the
	// engine admits raft requests only from authenticated producers
	// speaking as themselves (see Membership), as on streams.
	Messenger Messenger
	// Names maps raft addresses to Messenger peers; nil: PeerIDNames.
	// Used with Messenger only.
	Names Names
	// Stream carries raft when Messenger is nil (raft's NetworkTransport
	// over a stream layer; to be retired). Its accepted connections must
	// implement PeerConn (both of this package's layers do): the engine
	// admits raft traffic only from authenticated producers (see
	// Membership).
	Stream   raft.StreamLayer
	Producer Producer
	Applier  Applier
	// Refused is told about every refused raft connection or request: a
	// peer outside the producer set, or a request naming another sender.
	// The node charges the peer (link.Network.Penalize) so it ends banned
	// on repeat. Called from raft's transport goroutines, concurrently; it
	// must not block or call back into the Engine. nil: the engine only
	// counts (Status.Refused) and logs.
	Refused func(*RefusedError)
	// Peers returns the producer set the caller holds in force (the node:
	// the chain's, from its irreversible state), as raft server ids. Its
	// members may speak raft to this node besides raft's own
	// configurations (Membership.Extra): a producer added by a change
	// needs it to accept the leader before its raft configuration lists
	// anyone. Called per inbound request; must be cheap and safe for
	// concurrent use. nil: none.
	Peers func() []raft.ServerID
}

// Engine runs raft among the producers and produces blocks while it leads.
type Engine struct {
	cfg      Config
	log      zerolog.Logger
	producer Producer
	fsm      *fsm
	store    *Store
	trans    raft.Transport
	msg      *MsgTransport // trans when Deps.Messenger is set, else nil
	raft     *raft.Raft
	observer *raft.Observer
	// obs carries leader observations from raft to run; buffered so raft's
	// non-blocking send rarely drops (a drop loses only a failover count).
	obs chan raft.Observation

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	close  sync.Once

	guard *guard // the stream layer's guard, nil with a Messenger
	peers func() []raft.ServerID

	// refusedOn is the committed block on which the FSM last refused an
	// entry of this engine as unauthorised; an office on it asks the
	// producer for no Via (ProduceRequest.NoVia). Only run touches it.
	refusedOn block.ID

	failovers, produced, lost, refused atomic.Uint64
	leading                            atomic.Bool
}

// New opens raft on deps.DB, bootstraps it when the database holds no raft
// state and cfg.Bootstrap is set, and starts the engine's goroutine.
func New(cfg Config, deps Deps) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.DB == nil || (deps.Stream == nil && deps.Messenger == nil) || deps.Producer == nil {
		return nil, fmt.Errorf("%w: DB, Messenger or Stream, and Producer are required", ErrConfig)
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger.With().Str("component", "cft").Logger(), producer: deps.Producer,
		fsm: newFSM(cfg.Genesis, deps.Applier, cfg.ServerOf), store: NewStore(deps.DB, cfg.Logger),
		obs: make(chan raft.Observation, 64), done: make(chan struct{}), peers: deps.Peers,
	}
	if err := e.openTransport(deps); err != nil {
		return nil, err
	}
	r, err := e.openRaft()
	if err != nil {
		e.closeTransport()
		return nil, err
	}
	e.raft = r
	if e.msg != nil {
		e.msg.Start(e.membership)
	} else {
		e.guard.start(e.membership)
	}
	e.observer = raft.NewObserver(e.obs, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	r.RegisterObserver(e.observer)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	go e.run()
	return e, nil
}

// openTransport builds raft's transport: MsgTransport over deps.Messenger,
// or NetworkTransport over deps.Stream behind the guard.
func (e *Engine) openTransport(deps Deps) error {
	if deps.Messenger != nil {
		mt, err := NewMsgTransport(deps.Messenger, deps.Names, raft.ServerAddress(e.cfg.LocalID), e.cfg.msgTimeouts(),
			e.cfg.Logger.With().Str("component", "cft-msg").Logger(), e.onRefused(deps.Refused))
		if err != nil {
			return err
		}
		e.msg, e.trans = mt, mt
		return nil
	}
	e.guard = newGuard(deps.Stream, e.onRefused(deps.Refused))
	e.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: e.guard, MaxPool: e.cfg.MaxPool, Timeout: e.cfg.RPCTimeout,
		Logger: newHCLog(e.cfg.Logger, "raft-net"),
		// 1 turns AppendEntries pipelining off. With the default (2) both
		// pipeline channels are unbuffered, and when a follower answers
		// Success=false or a newer term the pipeline's decoder quits while
		// one more send parks on the back-pressure channel: replication to
		// that follower stops for good (heartbeats go on, so no election
		// heals it) and raft.Shutdown waits forever for the parked
		// goroutine. Seen here on a leadership hand-off; also reported in
		// grafana/pyroscope#5518. Raft's own measurements (PR #541) found
		// pipelining of little use at our rates.
		MaxRPCsInFlight: 1,
	})
	return nil
}

func (e *Engine) closeTransport() {
	if c, ok := e.trans.(raft.WithClose); ok {
		_ = c.Close()
	}
}

func (e *Engine) openRaft() (*raft.Raft, error) {
	rc := e.cfg.raftConfig()
	logs, err := raft.NewLogCache(512, e.store)
	if err != nil {
		return nil, fmt.Errorf("cft: log cache: %w", err)
	}
	snaps := NewSnapshotStore(e.store)
	has, err := raft.HasExistingState(logs, e.store, snaps)
	if err != nil {
		return nil, fmt.Errorf("cft: read raft state: %w", err)
	}
	if !has && len(e.cfg.Bootstrap) > 0 {
		conf := raft.Configuration{Servers: e.cfg.Bootstrap}
		if err := raft.BootstrapCluster(rc, logs, e.store, snaps, e.trans, conf); err != nil {
			return nil, fmt.Errorf("cft: bootstrap: %w", err)
		}
	}
	r, err := raft.NewRaft(rc, e.fsm, logs, e.store, snaps, e.trans)
	if err != nil {
		return nil, fmt.Errorf("cft: start raft: %w", err)
	}
	return r, nil
}

// membership is what this node knows of the producer set right now (see
// Membership): raft's latest configuration, the FSM's committed one and
// pending changes, and the caller's view.
func (e *Engine) membership() *Membership {
	st := e.fsm.state()
	m := &Membership{Latest: e.raft.GetConfiguration().Configuration(), Committed: st.Conf, Pending: st.Pending}
	if e.peers != nil {
		m.Extra = e.peers()
	}
	return m
}

// onRefused counts and logs a refusal, then tells the caller.
func (e *Engine) onRefused(tell func(*RefusedError)) func(*RefusedError) {
	return func(re *RefusedError) {
		e.refused.Add(1)
		e.log.Warn().Str("peer", string(re.Peer)).Str("reason", re.Reason).Str("detail", re.Detail).Msg("raft traffic refused")
		if tell != nil {
			tell(re)
		}
	}
}

// Close shuts the engine down: it stops producing, hands leadership to
// another producer if this node leads (a planned hand-off costs a few
// milliseconds instead of an election timeout), shuts raft down, closes the
// transport and its stream layer, and detaches the store. The caller then
// closes the pebble database and the libp2p host, in that order.
func (e *Engine) Close() error { return e.shutdown(true) }

// Abort shuts down like Close but without the leadership hand-off, as a
// crash would look to the other producers (they elect a leader after an
// election timeout). Tests and benchmarks use it to kill a leader.
func (e *Engine) Abort() error { return e.shutdown(false) }

func (e *Engine) shutdown(transfer bool) error {
	err := ErrClosed
	e.close.Do(func() {
		e.cancel()
		<-e.done
		if transfer && e.raft.State() == raft.Leader {
			if terr := e.raft.LeadershipTransfer().Error(); terr != nil {
				e.log.Warn().Err(terr).Msg("leadership transfer on shutdown failed")
			}
		}
		e.raft.DeregisterObserver(e.observer)
		// Signal shutdown, then close the transport before waiting: raft's
		// goroutines blocked in an RPC to a stalled peer then fail at once
		// instead of at their deadline. The store is detached only after
		// raft's goroutines are gone.
		f := e.raft.Shutdown()
		e.closeTransport()
		err = f.Error()
		_ = e.store.Close()
	})
	return err
}

// office is the state of one term in which this node leads.
type office struct {
	term   uint64
	parent block.ID // the block the next one builds on
	noVia  bool     // ProduceRequest.NoVia: build on parent itself
}

// run is the engine's one goroutine: it takes office after winning a term,
// produces on every tick while in office, drives producer-set changes, and
// counts failovers.
func (e *Engine) run() {
	defer close(e.done)
	tick := time.NewTicker(e.cfg.ProduceInterval)
	defer tick.Stop()
	var o *office
	var lastLeader raft.ServerID
	step := func() {
		if o == nil {
			o = e.takeOffice()
		}
		if o != nil {
			o = e.produce(o)
		}
		e.leading.Store(o != nil)
		if o != nil {
			e.driveChanges()
		}
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case ob := <-e.obs:
			lastLeader = e.countFailover(lastLeader, ob)
		case isLeader := <-e.raft.LeaderCh():
			// A true after a true means leadership was lost and regained:
			// either way the old office is void.
			o = nil
			if isLeader {
				step() // take office and produce at once: failover time counts
			}
			e.leading.Store(o != nil)
		case <-tick.C:
			step()
		}
	}
}

func (e *Engine) countFailover(last raft.ServerID, ob raft.Observation) raft.ServerID {
	lo, _ := ob.Data.(raft.LeaderObservation)
	if lo.LeaderID == "" {
		return last
	}
	if last != "" && lo.LeaderID != last {
		e.failovers.Add(1)
	}
	return lo.LeaderID
}

// takeOffice returns an office when this node leads and its FSM has applied
// everything committed before the term (Barrier). Raft signals leadership
// before the new leader has applied inherited entries, so producing earlier
// could build on a stale parent.
func (e *Engine) takeOffice() *office {
	if e.raft.State() != raft.Leader {
		return nil
	}
	term := e.raft.CurrentTerm()
	if err := e.raft.Barrier(e.cfg.BarrierTimeout).Error(); err != nil {
		e.log.Debug().Err(err).Msg("barrier failed")
		return nil
	}
	if e.raft.State() != raft.Leader || e.raft.CurrentTerm() != term {
		return nil
	}
	last := e.fsm.last()
	noVia := !e.refusedOn.IsZero() && last.ID == e.refusedOn
	e.log.Info().Uint64("term", term).Stringer("parent", last.ID).Bool("no_via", noVia).Msg("leading")
	return &office{term: term, parent: last.ID, noVia: noVia}
}

// produce builds one block and commits its id (after the ids of any Via
// blocks). It returns the office to keep or nil to leave it. An Apply error
// other than a rejection means the outcome is unknown (ErrLeadershipLost:
// the entry may still commit under the next leader) or the node no longer
// leads; either way the node leaves office and, if it still leads, re-takes
// it after a fresh Barrier, building on whatever the log actually
// committed. The FSM's parent check makes the unknown outcome harmless: a
// late commit extends the chain only if it is next.
func (e *Engine) produce(o *office) *office {
	irr := e.fsm.last().ID
	p, err := e.producer.Produce(e.ctx, ProduceRequest{Term: o.term, Parent: o.parent, Irreversible: irr, NoVia: o.noVia})
	if err != nil {
		if e.ctx.Err() == nil {
			e.log.Warn().Err(err).Msg("produce failed")
		}
		return o
	}
	if o.noVia && len(p.Via) > 0 {
		e.log.Error().Stringer("parent", o.parent).Int("via", len(p.Via)).Msg("producer re-proposed blocks although asked to build on the parent (NoVia)")
		return o
	}
	links := append(slices.Clone(p.Via), Link{ID: p.ID, HeaderHash: p.HeaderHash, Changes: p.Changes, Header: p.Header})
	parent := o.parent
	for _, l := range links {
		if l.ID.Height() != parent.Height()+1 || len(l.Changes) > maxChanges {
			e.log.Error().Stringer("id", l.ID).Stringer("parent", parent).Msg("producer returned a block that does not extend its parent")
			return o
		}
		if e.cfg.ServerOf != nil && (l.Header == nil || l.Header.ID() != l.ID) {
			e.log.Error().Stringer("id", l.ID).Msg("producer returned no signed header for the block (Config.ServerOf is set)")
			return o
		}
		parent = l.ID
	}
	for _, l := range links {
		if !e.commitLink(o, l) {
			return nil
		}
	}
	return o
}

// commitLink appends one block entry on o.parent and waits for it to be
// applied; false means leave office (see produce).
func (e *Engine) commitLink(o *office, l Link) bool {
	entry := blockEntry{ID: l.ID, Parent: o.parent, HeaderHash: l.HeaderHash, Changes: l.Changes}
	if e.cfg.ServerOf != nil {
		entry.Header = l.Header
	}
	f := e.raft.Apply(entry.encode(), e.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		e.lost.Add(1)
		e.log.Info().Err(err).Stringer("id", l.ID).Msg("block entry outcome unknown; leaving office")
		return false
	}
	if rerr, ok := f.Response().(error); ok {
		if errors.Is(rerr, ErrUnauthorizedEntry) {
			// Every member refused it alike; offering it again would be
			// refused again, forever (a halt). Build on the parent instead.
			e.refusedOn = o.parent
			e.log.Warn().Err(rerr).Stringer("id", l.ID).Stringer("parent", o.parent).
				Msg("block entry refused as unauthorised; not re-proposing it, building on the last committed block")
			return false
		}
		e.log.Warn().Err(rerr).Msg("block entry rejected; leaving office")
		return false
	}
	e.produced.Add(1)
	o.parent = l.ID
	return true
}

// driveChanges carries out the first pending producer-set change. The FSM
// drops it once the committed configuration reflects it, so a change
// interrupted by a leader change is simply redone by the next leader.
func (e *Engine) driveChanges() {
	st := e.fsm.state()
	if len(st.Pending) == 0 {
		return
	}
	c := st.Pending[0]
	var f raft.IndexFuture
	switch c.Op {
	case OpAdd:
		f = e.raft.AddVoter(c.ID, c.Addr, 0, e.cfg.ApplyTimeout)
	case OpRemove:
		f = e.raft.RemoveServer(c.ID, 0, e.cfg.ApplyTimeout)
	}
	if err := f.Error(); err != nil {
		e.log.Warn().Err(err).Str("server", string(c.ID)).Msg("producer-set change failed; retrying next tick")
		return
	}
	e.log.Info().Str("server", string(c.ID)).Uint8("op", uint8(c.Op)).Msg("producer set changed")
}

// TransferLeadership hands leadership to another voter (planned rotation).
func (e *Engine) TransferLeadership() error {
	if err := e.raft.LeadershipTransfer().Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return ErrNotLeader
		}
		return fmt.Errorf("cft: leadership transfer: %w", err)
	}
	return nil
}

// TransferLeadershipTo hands leadership to the voter id at addr (with the
// libp2p stream layer both are the peer id string).
func (e *Engine) TransferLeadershipTo(id raft.ServerID, addr raft.ServerAddress) error {
	if err := e.raft.LeadershipTransferToServer(id, addr).Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return ErrNotLeader
		}
		return fmt.Errorf("cft: leadership transfer to %s: %w", id, err)
	}
	return nil
}

// Configuration returns the latest raft configuration (the producer set).
func (e *Engine) Configuration() (raft.Configuration, error) {
	f := e.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return raft.Configuration{}, fmt.Errorf("cft: configuration: %w", err)
	}
	return f.Configuration(), nil
}
