package rbcrun

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

	"github.com/blockwire/blockwire/internal/fanout"
	"github.com/blockwire/blockwire/transport/rbc"
)

// Errors of the runner's API.
var (
	// ErrStopped: the runner stopped (Stop, or a store that cannot sync).
	ErrStopped = errors.New("rbcrun: stopped")
	// ErrNotParticipant: this node is not in the participant set in force
	// (a full node, or a producer a change removed).
	ErrNotParticipant = errors.New("rbcrun: not a participant of the set in force")
	// ErrSetChanged: the participant set changed before our broadcast was
	// delivered; its instance belongs to the old set and is abandoned
	// here. Broadcast again under the new set.
	ErrSetChanged = errors.New("rbcrun: participant set changed before delivery")
	// ErrExpired: the instance was garbage-collected (rbc.Config.Horizon)
	// before it was delivered.
	ErrExpired = errors.New("rbcrun: instance collected before delivery")
)

// Runner drives one participant's reliable-broadcast core (transport/rbc):
// one goroutine owns the core, its store and the participant set; inputs
// reach it through channels, outputs leave in the order rbc.Ready gives.
type Runner struct {
	cfg  Config
	deps Deps
	log  zerolog.Logger
	now  func() time.Time
	self ed25519.PublicKey

	in    chan inbound         // Config.InboundQueue: see its doc
	calls chan func()          // API requests, run on the loop (unbuffered: callers wait their turn)
	subs  fanout.Hub[Delivery] // delivery subscribers
	ctx   context.Context      // cancelled by Stop or a fatal store error
	stop  context.CancelFunc
	done  chan struct{}
	once  sync.Once
	err   atomic.Pointer[error]
	ctr   counters

	st *loopState // owned by the run goroutine
}

type inbound struct {
	from    peer.ID
	payload []byte
}

// New starts a runner with keys as the participant set in force (the
// producers, in the set's canonical order; see SetParticipants).
func New(cfg Config, deps Deps, keys []ed25519.PublicKey) (*Runner, error) {
	if cfg.InboundQueue == 0 {
		cfg.InboundQueue = 1024
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Messenger == nil || deps.Store == nil {
		return nil, fmt.Errorf("rbcrun: Deps.Messenger and Deps.Store are required")
	}
	r := &Runner{cfg: cfg, deps: deps, log: cfg.Logger, now: cfg.Now, self: cfg.Core.Key.Public().(ed25519.PublicKey),
		in: make(chan inbound, cfg.InboundQueue), calls: make(chan func()), done: make(chan struct{})}
	if r.now == nil {
		r.now = time.Now
	}
	r.ctx, r.stop = context.WithCancel(context.Background())
	r.st = &loopState{waiters: map[rbc.Instance]chan result{}}
	if err := r.install(keys); err != nil {
		r.stop()
		return nil, err
	}
	deps.Messenger.SetHandler(r.receive)
	go r.run()
	return r, nil
}

// receive is the messenger's handler: it only queues.
func (r *Runner) receive(from peer.ID, payload []byte) {
	select {
	case r.in <- inbound{from, payload}:
	default:
		r.ctr.inboundDropped.Add(1)
	}
}

// Stop stops the runner and waits for its goroutine; pending Broadcasts
// fail with ErrStopped and subscriptions close. It does not close the
// store or the messenger (the caller owns them).
func (r *Runner) Stop() {
	r.once.Do(r.stop)
	<-r.done
}

// Err returns the fatal error that stopped the runner, if any: a store
// that cannot persist records must not let signatures leave.
func (r *Runner) Err() error {
	if p := r.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (r *Runner) fail(err error) {
	r.err.Store(&err)
	r.log.Error().Err(err).Msg("reliable broadcast stopped: records cannot be persisted")
	r.once.Do(r.stop)
}

// call runs fn on the loop goroutine and waits until it ran.
func (r *Runner) call(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	select {
	case r.calls <- func() { fn(); close(ran) }:
	case <-r.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ran:
		return nil
	case <-r.done:
		return ErrStopped
	}
}

// run is the loop: one select over inputs and the core's timer, then the
// core's Ready batches.
func (r *Runner) run() {
	defer close(r.done)
	defer r.shutdown()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		r.drain()
		if r.ctx.Err() != nil {
			return
		}
		r.arm(timer)
		select {
		case <-r.ctx.Done():
			return
		case m := <-r.in:
			r.onInbound(m)
			r.more()
		case fn := <-r.calls:
			fn()
		case <-timer.C:
			if c := r.st.core; c != nil {
				c.Tick(r.now())
			}
		}
	}
}

// batch bounds the inbound messages stepped before one Ready is
// performed: their records share one fsync (group commit), which is what
// bounds throughput, while a batch's messages wait at most that long.
const batch = 64

// more steps the messages already queued, up to batch in all, so that
// their records are made durable together.
func (r *Runner) more() {
	for range batch - 1 {
		select {
		case m := <-r.in:
			r.onInbound(m)
		default:
			return
		}
	}
}

// arm sets the timer to the core's deadline.
func (r *Runner) arm(t *time.Timer) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	if r.st.core == nil || r.st.deadline.IsZero() {
		return
	}
	t.Reset(max(r.st.deadline.Sub(r.now()), 0))
}

// shutdown fails the waiters and closes the subscriptions.
func (r *Runner) shutdown() {
	r.st.failWaiters(ErrStopped)
	r.subs.Close()
}
