package bftrun

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
)

// ErrStopped is returned by a stopped Runner's inputs.
var ErrStopped = errors.New("bftrun: stopped")

// Runner drives one producer's BFT engine: one goroutine owns the engine
// and everything below; inputs reach it through channels.
type Runner struct {
	cfg  Config
	deps Deps
	log  zerolog.Logger
	now  func() time.Time
	self block.PublicKey

	in     chan inbound             // Config.InboundQueue: see its doc
	blocks chan *block.SignedHeader // 64: AddBlock bursts while syncing; a drop only delays a vote
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	stop   sync.Once
	err    atomic.Pointer[error]
	status atomic.Pointer[Status]
	ctr    counters

	st *loopState // owned by the run goroutine
}

type inbound struct {
	from    peer.ID
	payload []byte
}

// New checks the configuration, opens the epoch and the engine from the
// store's records and starts the runner's goroutine.
func New(cfg Config, deps Deps) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Messenger == nil || deps.Producer == nil || deps.Applier == nil || deps.Blocks == nil || deps.Sets == nil {
		return nil, fmt.Errorf("bftrun: Deps.Store, Messenger, Producer, Applier, Blocks and Sets are required")
	}
	r := &Runner{
		cfg: cfg, deps: deps, log: cfg.Logger.With().Str("component", "bft").Logger(), now: cfg.Now,
		in: make(chan inbound, cfg.InboundQueue), blocks: make(chan *block.SignedHeader, 64), done: make(chan struct{}),
	}
	if r.now == nil {
		r.now = time.Now
	}
	copy(r.self[:], cfg.Key.Public().(ed25519.PublicKey))
	r.ctx, r.cancel = context.WithCancel(context.Background())
	st, err := r.open()
	if err != nil {
		r.cancel()
		return nil, err
	}
	r.st = st
	r.publish()
	deps.Messenger.SetHandler(r.receive)
	go r.run()
	return r, nil
}

// receive is the messenger's handler: it only queues.
func (r *Runner) receive(from peer.ID, payload []byte) {
	select {
	case r.in <- inbound{from, payload}:
	default:
		r.ctr.dropped.Add(1)
	}
}

// AddBlock tells the runner about a block the node validated and stored
// that did not come with a proposal (blocksync, a fetch): the engine may
// need it to vote or to build on. Safe for concurrent use; never blocks (a
// full queue drops it, and the block arrives again with retries).
func (r *Runner) AddBlock(h *block.SignedHeader) {
	select {
	case r.blocks <- h:
	default:
		r.ctr.dropped.Add(1)
	}
}

// Stop stops the runner and waits for its goroutine. It does not close
// the store or the messenger (the caller owns them).
func (r *Runner) Stop() {
	r.stop.Do(r.cancel)
	<-r.done
}

// Done is closed when the runner's goroutine exits (Stop, or a fatal
// store error: see Err).
func (r *Runner) Done() <-chan struct{} { return r.done }

// Err returns the fatal error that stopped the runner, if any: a store
// that cannot persist records must not let votes leave.
func (r *Runner) Err() error {
	if p := r.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (r *Runner) fail(err error) {
	r.err.Store(&err)
	r.log.Error().Err(err).Msg("stopping: safety records cannot be persisted")
	r.cancel()
}

// run is the loop: one select over inputs and the engine's timer, then the
// engine's Ready batches.
func (r *Runner) run() {
	defer close(r.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	retry := time.NewTicker(time.Second) // a pending epoch switch asks Sets again
	defer retry.Stop()
	for {
		r.drain()
		if r.ctx.Err() != nil {
			return
		}
		r.arm(timer)
		r.publish()
		select {
		case <-r.ctx.Done():
			return
		case m := <-r.in:
			r.onInbound(m)
		case h := <-r.blocks:
			r.onBlock(h)
		case <-timer.C:
			if e := r.st.eng; e != nil {
				e.Tick(r.now())
			}
		case <-retry.C:
			if r.st.switchPending {
				r.maybeSwitch()
			}
		}
	}
}

// arm sets the timer to the engine's deadline.
func (r *Runner) arm(t *time.Timer) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	if r.st.eng == nil || r.st.deadline.IsZero() {
		return
	}
	t.Reset(max(r.st.deadline.Sub(r.now()), 0))
}

// peerOf is the libp2p peer id of a producer key.
func peerOf(k block.PublicKey) peer.ID { return peer.ID(prodset.PeerOfKey(k)) }

// keyOf is the producer key a peer id embeds.
func keyOf(p peer.ID) (block.PublicKey, bool) {
	k, err := prodset.PeerKey(string(p))
	return k, err == nil
}
