package node

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/chain/txpool"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/relay"
	"github.com/blockwire/blockwire/node/syncstate"
	"github.com/blockwire/blockwire/transport/broadcastrun"
	"github.com/blockwire/blockwire/transport/route"
)

// input is one event for the loop.
type input struct {
	kind inputKind
	link link.Link
	lane link.Lane
	msg  []byte
	err  error
	fn   func()    // inCall
	at   time.Time // inReceive: when the link delivered msg
}

type inputKind uint8

const (
	inConnected inputKind = iota
	inReceive
	inDisconnected
	inCall
)

// loopState is everything the loop goroutine owns. No other goroutine
// touches it (the Chain included): other goroutines reach it through
// n.call.
type loopState struct {
	peers map[link.Link]*peerState
	byID  map[link.PeerID]*peerState
	view  *chain.SyncView
	pool  *txpool.Pool
	txs   *txpool.Index
	// relays are the transactions we sent toward a producer, by their
	// routed sequence number and first hop, awaiting an answer, and the
	// submits waiting to be sent again (retryLater): a deadline heap,
	// O(log n) per operation.
	relays *relay.Table[route.NodeID, *outSubmit]
	timer  *time.Timer
	// nextProduce is when the solo producer makes its next block.
	nextProduce time.Time
	// handoffAt is when to hand the next part of the mempool to a new
	// leader: the pacer's next slot (handoffPaced) or, after a failure,
	// the retry time.
	handoffAt    time.Time
	handoffPaced bool
	// handoffDelay is the current delay between failed hand-offs.
	handoffDelay time.Duration
	// handoff paces and reports a hand-off (handoff.go).
	handoff handoffState
	// sync is the operator's sync signal (syncsignal.go); stallCheckAt
	// is when logStall looks at it next.
	sync         *syncstate.Tracker
	stallCheckAt time.Time
	// watched are the transactions local submitters wait for (watchedTx),
	// swept at watchAt; watchTerm is the head's term they were last sent
	// in.
	watched   map[block.Hash]*watchedTx
	watchAt   time.Time
	watchTerm uint64
	// changed is set by every chain mutation: settle then tells every Conn.
	changed bool
	cfg     blocksync.Config
	// dropSubmits makes the node ignore the transactions routed to it
	// (tests: a silent producer).
	dropSubmits bool
	// encoded is the last block body encoded for a link.
	encoded blocksync.BodyCache
	// inbound is what the Conns share about bodies on their way.
	inbound *blocksync.Inbound
	// connSeq staggers graft delays across a node's Conns (blocksync's
	// config advice).
	connSeq int
}

func newLoopState(n *Node) *loopState {
	lp := &loopState{
		peers:   map[link.Link]*peerState{},
		byID:    map[link.PeerID]*peerState{},
		view:    chain.NewSyncView(n.chain),
		pool:    txpool.New(n.o.limits.MempoolTxs, n.o.limits.MempoolBytes),
		txs:     txpool.NewIndex(n.o.limits.TxIndex),
		watched: map[block.Hash]*watchedTx{},
		cfg:     blocksync.DefaultConfig(),
		inbound: blocksync.NewInbound(),
	}
	lp.cfg.Limits.Block = n.blockLimits()
	lp.relays, _ = relay.New[route.NodeID, *outSubmit](relay.DefaultConfig()) // valid
	lp.handoff.pacer, _ = relay.NewPacer(n.o.limits.Handoff, time.Now())
	lp.sync = n.newSyncTracker()
	lp.stallCheckAt = time.Now().Add(stallCheckEvery)
	if n.solo {
		lp.nextProduce = time.Now().Add(n.cfg.Consensus.BlockInterval.Duration)
	}
	return lp
}

// run is the node's driver: one goroutine that owns the chain, every
// blocksync Conn and the mempool, fed by link callbacks, the consensus
// engine (its Host calls and its Signal), API calls, and one timer set to
// the earliest deadline of them all.
func (n *Node) run() {
	lp := n.lp
	lp.timer = time.NewTimer(time.Hour)
	defer func() {
		lp.timer.Stop()
		n.failAll()
		close(n.quit)
		close(n.done)
	}()
	for {
		n.armTimer()
		select {
		case <-n.stopCtx.Done():
			return
		case x := <-n.in:
			n.handle(x)
		case <-n.eng.Signal():
			n.applyCommits()
		case <-lp.timer.C:
			n.onTimer(time.Now())
		}
		n.settle()
		n.handOffMempool()
	}
}

func (n *Node) handle(x input) {
	switch x.kind {
	case inConnected:
		n.onConnected(x.link)
	case inReceive:
		n.onReceive(x.link, x.lane, x.msg, x.at)
	case inDisconnected:
		n.onDisconnected(x.link, x.err)
	case inCall:
		x.fn()
	}
}

// settle tells every Conn about chain changes and performs their Readies
// until no Ready changes the chain any more (blocks received in one Ready
// change the chain, which every Conn must hear before its next input).
// Inputs to one Conn (a message, a tick, a mode) perform that Conn at once;
// only chain changes concern them all.
func (n *Node) settle() {
	lp := n.lp
	for lp.changed {
		lp.changed = false
		now := time.Now()
		for _, p := range lp.peers {
			_ = p.conn.ChainChanged(now)
		}
		for _, p := range lp.peers {
			n.perform(p)
		}
	}
}

// armTimer sets the one timer to the earliest deadline.
func (n *Node) armTimer() {
	lp := n.lp
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, p := range lp.peers {
		earlier(p.deadline)
	}
	earlier(lp.nextProduce)
	earlier(lp.handoffAt)
	earlier(lp.watchAt)
	earlier(lp.stallCheckAt)
	earlier(lp.relays.Deadline())
	if next.IsZero() {
		next = time.Now().Add(time.Hour)
	}
	lp.timer.Reset(max(time.Until(next), 0))
}

func (n *Node) onTimer(now time.Time) {
	lp := n.lp
	for _, p := range lp.peers {
		if !p.deadline.IsZero() && !now.Before(p.deadline) {
			_ = p.conn.Tick(now)
			n.perform(p)
		}
	}
	if !lp.nextProduce.IsZero() && !now.Before(lp.nextProduce) {
		n.produceSolo(now)
		lp.nextProduce = now.Add(n.cfg.Consensus.BlockInterval.Duration)
	}
	n.expireSubmits(now)
	n.resend(now)
	n.sweepWatched(now)
	n.logStall(now)
}

// post hands an input to the loop, waiting while its buffer is full (which
// back-pressures the calling lane) unless the loop is gone.
func (n *Node) post(x input) bool {
	select {
	case n.in <- x:
		return true
	case <-n.quit:
		return false
	}
}

// call runs fn on the loop goroutine and waits for it, for at most ctx.
// It returns nil when fn ran and an error when fn did not and never will:
// a caller that gives up (ctx ended, the node stopped) claims fn first,
// so fn cannot run later and write the caller's variables while the
// caller reads them (the race detector caught engineHost.Timestamp's
// result written by a call its BFT runner had abandoned). Once the loop
// claimed fn, the caller waits for it: fns are short.
func (n *Node) call(ctx context.Context, fn func()) error {
	if !n.started.Load() {
		return ErrStopped
	}
	const pending, running, abandoned = 0, 1, 2
	var state atomic.Int32
	done := make(chan struct{})
	run := func() {
		if state.CompareAndSwap(pending, running) {
			fn()
			close(done)
		}
	}
	if !n.post(input{kind: inCall, fn: run}) {
		return ErrStopped
	}
	var err error
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-n.quit:
		err = ErrStopped
	}
	if state.CompareAndSwap(pending, abandoned) {
		return err
	}
	<-done // the loop claimed fn before we gave up
	return nil
}

// link.Handler: forward into the loop.

// Connected implements link.Handler. The transport hears of the link
// first, on the link's goroutine, so it routes the link's first frame.
func (n *Node) Connected(l link.Link) {
	n.tr.AddLink(l)
	n.bc.AddLink(l)

	n.discoveryLink(l, true, nil)
	n.post(input{kind: inConnected, link: l})
}

// Receive implements link.Handler. Consensus and routing lane frames are
// the transport's: it steps them on this goroutine (routing needs nothing
// of the loop's) and hands what is for us to the loop.
func (n *Node) Receive(l link.Link, lane link.Lane, msg []byte) {
	if lane == link.LaneRouting && broadcastrun.IsFrame(msg) {
		_ = n.bc.Receive(l, msg) // faults are scored by the broadcast driver
		return
	}
	if n.discoveryFrame(l, lane, msg) {
		return
	}
	if lane == link.LaneConsensus || lane == link.LaneRouting {
		_ = n.tr.Receive(l, msg) // faults are scored and counted by the transport
		return
	}
	n.post(input{kind: inReceive, link: l, lane: lane, msg: msg, at: time.Now()})
}

// Disconnected implements link.Handler.
func (n *Node) Disconnected(l link.Link, err error) {
	n.tr.RemoveLink(l)
	n.bc.RemoveLink(l)

	n.discoveryLink(l, false, err)
	n.post(input{kind: inDisconnected, link: l, err: err})
}

var _ link.Handler = (*Node)(nil)
