package transport

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// ErrClosed is returned by a Transport's methods after Close.
var ErrClosed = errors.New("transport: closed")

// Delivery is a routed message addressed to us: authenticated (its
// origin's signature checked), validated, not a replay. Payload belongs to
// the handler.
type Delivery struct {
	Origin  route.NodeID
	Peer    link.PeerID // Origin as a libp2p peer id
	Class   route.Class
	Seq     uint64
	Payload []byte
}

// Reply is the answer to a unicast message we sent (Seq is what Send
// returned), signed by Replier, its destination.
type Reply struct {
	Replier route.NodeID
	Peer    link.PeerID
	Class   route.Class
	Seq     uint64
	Payload []byte
}

// Transport drives one route.Router over a node's links: it owns the
// Router (behind a lock), one timer goroutine and two handler goroutines.
// The owner feeds it links (AddLink, RemoveLink) and the frames of
// link.LaneConsensus and link.LaneRouting (Receive); consumers Send,
// Multicast and Reply, and get deliveries, replies and send failures
// through the handlers they register per class, in the order the Router
// produced them per class.
//
// Concurrency: every method is safe for concurrent use and none blocks on
// the network (link sends are queued by the link). Inputs step the Router
// on the caller's goroutine under the lock; signatures are checked and made
// outside it (route.Check, route.Prepared). Handlers run without the lock,
// so a handler may call any method; they run on one of two goroutines by
// class: consensus-lane classes (route.LaneFor is LaneControl: raft) on
// one, every other class on the other, so a slow transaction handler never
// delays raft. The timer goroutine only ticks the Router (hellos, expiry)
// and never runs a handler, so a blocked handler cannot silence our hellos
// and make our neighbours drop their links to us. Validators run under the
// lock and must not call the Transport.
type Transport struct {
	cfg Config
	log zerolog.Logger

	self route.NodeID // the Router's id (immutable; read without the lock)

	mu       sync.Mutex
	r        *route.Router
	links    map[route.NodeID]link.Link
	closed   bool
	deliver  [256]func(Delivery)
	replies  [256]func(Reply)
	failures [256]func(*route.SendError)
	// out holds outputs for the handlers by priority (prioConsensus,
	// prioOther), outBytes the payload bytes of both.
	out      [2][]event
	outBytes int
	deadline time.Time
	drops    map[string]uint64 // the driver's own drops, by reason

	// wake is signalled after every input (buffer 1: one pending wake-up
	// covers any number of inputs) for the timer goroutine; ready[p] when
	// out[p] has events (buffer 1 likewise).
	wake  chan struct{}
	ready [2]chan struct{}
	quit  chan struct{}
	done  chan struct{}
}

// Handler priorities: the goroutine an event's handler runs on.
const (
	prioConsensus = 0
	prioOther     = 1
)

// prio is the handler goroutine of class c's events.
func prio(c route.Class) int {
	if route.LaneFor(c) == route.LaneControl {
		return prioConsensus
	}
	return prioOther
}

// event is one output waiting for its handler.
type event struct {
	d    *Delivery
	r    *Reply
	fail *route.SendError
}

func (e event) class() route.Class {
	switch {
	case e.d != nil:
		return e.d.Class
	case e.r != nil:
		return e.r.Class
	}
	return e.fail.Class
}

// New starts a Transport: it creates the Router and the goroutine.
func New(cfg Config) (*Transport, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OutboxBytes == 0 {
		cfg.OutboxBytes = DefaultConfig().OutboxBytes
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for cfg.Route.RouterID == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.Route.RouterID = binary.BigEndian.Uint64(b[:])
	}
	r, err := route.New(cfg.Route, cfg.Now())
	if err != nil {
		return nil, err
	}
	t := &Transport{cfg: cfg, log: cfg.Logger, r: r, self: r.ID(), links: map[route.NodeID]link.Link{},
		drops: map[string]uint64{}, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		ready: [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}}
	t.mu.Lock()
	t.perform()
	t.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); t.run() }()
	for p := range t.ready {
		go func() { defer wg.Done(); t.serve(p) }()
	}
	go func() { wg.Wait(); close(t.done) }()
	return t, nil
}

// ID is our routing id.
func (t *Transport) ID() route.NodeID { return t.r.ID() }

// Close stops the goroutine and waits for it. Outputs not yet handled are
// discarded; later calls return ErrClosed.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		<-t.done
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	close(t.quit)
	<-t.done
	return nil
}

// run is the timer goroutine: it ticks the Router at its deadline. It
// never runs a handler (serve does), so hellos go out on time whatever the
// consumers do.
func (t *Transport) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t.mu.Lock()
		d := t.deadline
		t.mu.Unlock()
		timer.Reset(max(d.Sub(t.cfg.Now()), 0))
		select {
		case <-t.quit:
			return
		case <-t.wake:
		case <-timer.C:
			t.mu.Lock()
			t.r.Tick(t.cfg.Now())
			t.perform()
			t.mu.Unlock()
		}
	}
}

// serve is handler goroutine p: it hands out[p]'s events to their
// handlers.
func (t *Transport) serve(p int) {
	for {
		select {
		case <-t.quit:
			return
		case <-t.ready[p]:
		}
		t.drain(p)
	}
}

// signal wakes the timer goroutine (a new deadline) and the handler
// goroutines with events waiting. Called with t.mu held or not.
func (t *Transport) signal() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// signalReady wakes handler goroutine p. Called with t.mu held.
func (t *Transport) signalReady(p int) {
	select {
	case t.ready[p] <- struct{}{}:
	default:
	}
}

// drain hands every queued output of priority p to its handler, without
// the lock.
func (t *Transport) drain(p int) {
	for {
		t.mu.Lock()
		out := t.out[p]
		t.out[p] = nil
		for _, e := range out {
			if e.d != nil {
				t.outBytes -= len(e.d.Payload)
			}
		}
		t.mu.Unlock()
		if len(out) == 0 {
			return
		}
		for _, e := range out {
			t.handle(e)
		}
	}
}

func (t *Transport) handle(e event) {
	t.mu.Lock()
	var fd func(Delivery)
	var fr func(Reply)
	var ff func(*route.SendError)
	switch {
	case e.d != nil:
		fd = t.deliver[e.d.Class]
	case e.r != nil:
		fr = t.replies[e.r.Class]
	default:
		ff = t.failures[e.fail.Class]
	}
	t.mu.Unlock()
	switch {
	case fd != nil:
		fd(*e.d)
	case fr != nil:
		fr(*e.r)
	case ff != nil:
		ff(e.fail)
	case e.fail != nil:
		t.log.Debug().Str("dest", e.fail.Dest.String()).Str("reason", string(e.fail.Reason)).Msg("routed message undeliverable (no failure handler)")
	default:
		t.countDrop("no-handler")
	}
}

func (t *Transport) countDrop(reason string) {
	t.mu.Lock()
	t.drops[reason]++
	t.mu.Unlock()
}
