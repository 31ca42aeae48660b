package attestrun

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// ErrStopped is returned after Stop, and by a runner that stopped itself
// (Err says why).
var ErrStopped = errors.New("attestrun: stopped")

// Runner drives the attestation cores of one node: the requester's
// scheduler (with its store) and the verifier, over routed unicast, on one
// goroutine with one timer. Every exported method is safe for concurrent
// use and none blocks on the network or the disk.
type Runner struct {
	cfg  Config
	deps Deps
	log  zerolog.Logger
	now  func() time.Time

	// inbox carries deliveries and failure reports (InboxSize: see
	// Config); kick wakes the loop for chain progress, retries and stops
	// (buffer 1: one pending wake-up covers any number).
	inbox chan inbound
	kick  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	stop  sync.Once

	// mu guards everything below: the loop holds it while it steps the
	// cores and performs their outputs; Status and the admin reads take
	// it briefly.
	mu       sync.Mutex
	sched    *attest.Scheduler // nil unless Require
	ver      *attest.Verifier  // nil unless Level
	dir      *attest.Directory
	dirKey   string
	nextDir  time.Time
	cursor   uint64 // highest irreversible height handed to the scheduler
	inflight inflight
	retries  []block.ID
	waiters  map[block.ID][]chan attest.Proof
	stats    Stats
	lat      latencies
	err      error
}

// inbound is one message or failure report for the loop.
type inbound struct {
	from    block.PublicKey
	payload []byte
	// failed: the transport could not deliver our message seq to from.
	failed bool
	seq    uint64
}

// New builds a runner; with Require it loads the scheduler's state from
// deps.Store (resuming where it stopped: in-flight requests are re-sent at
// once). Start runs it.
func New(cfg Config, deps Deps) (*Runner, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Net == nil || deps.Directory == nil || cfg.Require && (deps.Store == nil || deps.Chain == nil) {
		return nil, fmt.Errorf("attestrun: Deps.Net and Deps.Directory are required, and Store and Chain with Config.Require")
	}
	r := &Runner{cfg: cfg, deps: deps, log: cfg.Logger, now: cfg.Now,
		inbox: make(chan inbound, cfg.InboxSize), kick: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}),
		waiters: map[block.ID][]chan attest.Proof{}, lat: newLatencies(cfg.LatencyWindow),
		stats: newStats()}
	r.inflight.init(8192)
	r.dir, _ = attest.NewDirectory(nil)
	now := cfg.Now()
	r.refreshDirectory(now)
	if cfg.Level != 0 {
		if err := r.newVerifier(); err != nil {
			return nil, err
		}
	}
	if cfg.Require {
		if err := r.openScheduler(now); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Runner) newVerifier() error {
	vc := r.cfg.Verifier
	vc.ChainID, vc.Key, vc.Level = r.cfg.Sched.ChainID, r.cfg.Key, r.cfg.Level
	vc.LowerLevel, vc.LowerRequired, _ = r.cfg.lower()
	vc.CheckBlock = r.deps.CheckBlock
	vc.IsLowerVerifier = func(k block.PublicKey) bool {
		m, ok := r.dir.Member(k)
		return ok && m.Level == vc.LowerLevel
	}
	v, err := attest.NewVerifier(vc)
	if err != nil {
		return err
	}
	r.ver = v
	return nil
}

// openScheduler loads the store: the pending states and the cursor. A
// database that never ran the requester starts at the irreversible block
// of now (history is not attested).
func (r *Runner) openScheduler(now time.Time) error {
	states, err := r.deps.Store.Load()
	if err != nil {
		return err
	}
	s, err := attest.New(r.cfg.Sched, r.dir, states, now)
	if err != nil {
		return err
	}
	r.sched = s
	h, ok, err := r.deps.Store.Cursor()
	if err != nil {
		return err
	}
	if !ok {
		h = r.deps.Chain.IrreversibleHeight()
		if err := r.deps.Store.SetCursor(h); err != nil {
			return err
		}
	}
	r.cursor = h
	r.log.Info().Int("pending", len(states)).Uint64("cursor", h).Msg("attestation requester resumed")
	return nil
}

// Start runs the loop goroutine.
func (r *Runner) Start() { go r.run() }

// Stop ends the loop and waits for it. Waiters get nothing more.
func (r *Runner) Stop() {
	r.stop.Do(func() { close(r.quit) })
	<-r.done
}

// Err is why the runner stopped by itself (a store that cannot sync: it
// must not send what it could not record), nil otherwise.
func (r *Runner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Deliver hands the runner a message from its authenticated origin (the
// transport's handler calls it). It never blocks: a full inbox drops the
// message and counts it.
func (r *Runner) Deliver(from block.PublicKey, payload []byte) {
	r.enqueue(inbound{from: from, payload: payload})
}

// Undeliverable reports that our message seq to to found no route (the
// transport's failure handler calls it): a request is replaced at once.
func (r *Runner) Undeliverable(to block.PublicKey, seq uint64) {
	r.enqueue(inbound{from: to, failed: true, seq: seq})
}

func (r *Runner) enqueue(m inbound) {
	select {
	case r.inbox <- m:
	default:
		r.mu.Lock()
		r.stats.Drops["inbox-full"]++
		r.mu.Unlock()
	}
}

// ChainAdvanced wakes the runner: the irreversible block moved (new blocks
// to attest, held verifier requests to check again).
func (r *Runner) ChainAdvanced() { r.wake() }

func (r *Runner) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Retry asks the scheduler to resume a stalled block (an operator's
// request). It fails for a block that is not pending.
func (r *Runner) Retry(id block.ID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sched == nil {
		return ErrNotRequester
	}
	if !r.sched.Has(id) {
		return &attest.Error{Reason: attest.ReasonUnknownBlock, Detail: fmt.Sprintf("block %s is not pending", id)}
	}
	r.retries = append(r.retries, id)
	r.wake()
	return nil
}

// ErrNotRequester is returned for requester operations on a node that does
// not collect attestations (attest.require off).
var ErrNotRequester = errors.New("attestrun: this node does not collect attestations")
