package broadcastrun

import (
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/route"
)

// Driver runs one broadcast.Engine over a node's links and routing
// transport: it owns the Engine (behind a lock), one goroutine and one
// timer.
//
// Concurrency: every method is safe for concurrent use and none blocks on
// the network. Inputs step the Engine on the caller's goroutine under the
// lock; topic handlers run on the driver's goroutine without it, so a
// handler may call any method (it must not block long: deliveries queue
// behind it, up to Config.OutboxBytes). Validators run under the lock and
// must not call the Driver.
type Driver struct {
	cfg Config
	log zerolog.Logger

	mu        sync.Mutex
	e         *broadcast.Engine
	router    Router
	links     map[broadcast.NodeID]link.Link
	producers []broadcast.NodeID // sorted, without us
	handlers  map[broadcast.Topic][]*handler
	waiters   map[broadcast.WaiterID]chan Message
	started   bool
	closed    bool
	out       []Message // deliveries waiting for their handlers
	outBytes  int
	deadline  time.Time
	drops     map[string]uint64
	bodies    map[broadcast.Topic]uint64 // Push frames received per topic (copies)

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

type handler struct{ fn func(Message) }

// New creates a Driver and its Engine; nothing runs until Start.
func New(cfg Config) (*Driver, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Class == 0 {
		cfg.Class = ClassBroadcast
	}
	if cfg.OutboxBytes == 0 {
		cfg.OutboxBytes = DefaultConfig().OutboxBytes
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e, err := broadcast.New(cfg.Engine, cfg.Now())
	if err != nil {
		return nil, err
	}
	d := &Driver{cfg: cfg, log: cfg.Logger, e: e, links: map[broadcast.NodeID]link.Link{},
		handlers: map[broadcast.Topic][]*handler{}, waiters: map[broadcast.WaiterID]chan Message{},
		drops: map[string]uint64{}, bodies: map[broadcast.Topic]uint64{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	d.mu.Lock()
	d.setPrimary(cfg.Now())
	d.perform()
	d.mu.Unlock()
	return d, nil
}

// Start registers the routed-broadcast handler on router (nil: routed
// recipients fail with ErrNoRoute) and starts the goroutine.
func (d *Driver) Start(router Router) error {
	d.mu.Lock()
	if d.closed || d.started {
		d.mu.Unlock()
		return ErrClosed
	}
	d.started, d.router = true, router
	d.mu.Unlock()
	if router != nil {
		router.Handle(d.cfg.Class, d.receiveRouted)
	}
	go d.run()
	return nil
}

// Close stops the goroutine and waits for it. Waiters fail with ErrClosed;
// later calls return ErrClosed.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	started := d.started
	for id, ch := range d.waiters {
		close(ch)
		delete(d.waiters, id)
	}
	d.mu.Unlock()
	if started {
		close(d.quit)
		<-d.done
	}
	return nil
}

// ID is our node id (the origin of our messages).
func (d *Driver) ID() broadcast.NodeID { return d.e.ID() }

// step runs fn on the Engine under the lock and performs the Ready.
func (d *Driver) step(fn func(now time.Time) error) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	err := fn(d.cfg.Now())
	d.perform()
	d.mu.Unlock()
	return err
}

// run is the goroutine: it ticks the Engine at its deadline and hands
// deliveries to the topic handlers.
func (d *Driver) run() {
	defer close(d.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		dl := d.deadline
		d.mu.Unlock()
		timer.Reset(max(dl.Sub(d.cfg.Now()), 0))
		select {
		case <-d.quit:
			return
		case <-d.wake:
		case <-timer.C:
			d.mu.Lock()
			d.e.Tick(d.cfg.Now())
			d.perform()
			d.mu.Unlock()
		}
		d.drain()
	}
}

func (d *Driver) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// drain hands queued deliveries to their handlers, without the lock.
func (d *Driver) drain() {
	for {
		d.mu.Lock()
		out := d.out
		d.out, d.outBytes = nil, 0
		d.mu.Unlock()
		if len(out) == 0 {
			return
		}
		for _, m := range out {
			d.mu.Lock()
			hs := slices.Clone(d.handlers[m.Topic])
			d.mu.Unlock()
			if len(hs) == 0 {
				d.countDrop("no-handler")
			}
			for _, h := range hs {
				h.fn(m)
			}
		}
	}
}

func (d *Driver) countDrop(reason string) {
	d.mu.Lock()
	d.drops[reason]++
	d.mu.Unlock()
}

// perform carries out the Engine's Ready in its documented order: answers
// and expiries to the waiters, deliveries to the outbox, frames to the
// links, routed frames to the router, penalties to the link scores, the
// deadline to the goroutine's timer. Called with d.mu held.
func (d *Driver) perform() {
	if !d.e.HasReady() {
		return
	}
	rd := d.e.Ready()
	for _, a := range rd.Answers {
		if ch, ok := d.waiters[a.Waiter]; ok {
			ch <- messageOf(broadcast.NodeID{}, a.Msg) // buffer 1, one answer per waiter
			delete(d.waiters, a.Waiter)
		}
	}
	for _, id := range rd.Expired {
		if ch, ok := d.waiters[id]; ok {
			close(ch)
			delete(d.waiters, id)
		}
	}
	for _, dl := range rd.Delivered {
		if d.outBytes+len(dl.Msg.Payload) > d.cfg.OutboxBytes {
			d.drops["outbox-full"]++
			d.log.Warn().Str("origin", dl.Msg.Origin.String()).Uint16("topic", uint16(dl.Msg.Topic)).Msg("broadcast dropped: handlers too slow (outbox full)")
			continue
		}
		d.outBytes += len(dl.Msg.Payload)
		d.out = append(d.out, messageOf(dl.From, dl.Msg))
	}
	for _, m := range rd.Messages {
		d.sendTo(m)
	}
	for _, r := range rd.Routed {
		d.sendRouted(r)
	}
	for _, p := range rd.Penalties {
		d.penalize(p)
	}
	d.deadline = rd.Deadline
	d.e.Advance()
	d.signal()
}

// sendTo writes one frame to its peer's link on the routing lane.
func (d *Driver) sendTo(m broadcast.Outgoing) {
	l := d.links[m.To]
	if l == nil {
		d.drops["no-link"]++
		return
	}
	err := l.Send(link.LaneRouting, m.Frame.AppendTo([]byte{FrameTag}))
	switch {
	case err == nil:
	case errors.Is(err, net.ErrClosed):
		d.drops["link-closed"]++
	case errors.Is(err, link.ErrQueueFull):
		d.drops["link-queue-full"]++
	default:
		d.drops["link-error"]++
		d.log.Warn().Str("peer", m.To.String()).Err(err).Msg("broadcast frame not sent")
	}
}

// sendRouted hands a routed Push to the router: unicast for one
// destination, multicast (one copy per next hop) for several.
func (d *Driver) sendRouted(r broadcast.RoutedSend) {
	if d.router == nil {
		d.drops["no-router"]++
		return
	}
	payload := r.Frame.AppendTo(nil)
	dests := make([]route.NodeID, len(r.Dests))
	for i, id := range r.Dests {
		dests[i] = route.NodeID(id)
	}
	var err error
	if len(dests) == 1 {
		_, err = d.router.Send(dests[0], d.cfg.Class, payload)
	} else {
		_, err = d.router.Multicast(dests, d.cfg.Class, payload)
	}
	if err != nil {
		d.drops["route-refused"]++
		d.log.Warn().Err(err).Int("dests", len(dests)).Msg("routed broadcast refused by the router")
	}
}

// penalize scores a peer for a fault with the Engine's reason.
func (d *Driver) penalize(p broadcast.Penalty) {
	peer := peerOf(p.Peer)
	r := linkReason(p.Err.Reason)
	ev := d.log.Warn()
	if r == link.ReasonFlood {
		ev = d.log.Debug()
	}
	ev.Str("peer", peer.String()).Str("reason", string(p.Err.Reason)).Str("detail", p.Err.Detail).Msg("broadcast fault")
	if d.cfg.Penalize != nil && peer != "" {
		d.cfg.Penalize(peer, r, p.Err.Error())
	}
}

// linkReason is the link-score reason of an Engine fault. A pull that
// timed out (broken-promise) or a reply that came after it (unsolicited)
// is what an honest peer behind a congested link or a starved CPU looks
// like, so it costs ReasonFlood's small per-event charge (never charged to
// protected peers, the producers): on a loaded 8-process testnet the
// protocol charge (40, ban at 100) banned honest peers after three slow
// pulls. A peer that announces what it never serves is bounded anyway by
// MaxAnnouncedPerPeer and MaxPullTries. Everything else (a frame that
// does not decode, a bad signature, a rejected or oversized message, a
// pull flood) proves misbehaviour and costs link.ReasonInvalid.
func linkReason(r broadcast.Reason) link.Reason {
	switch r {
	case broadcast.ReasonBrokenPromise, broadcast.ReasonUnsolicited:
		return link.ReasonFlood
	}
	return link.ReasonInvalid
}

// setPrimary installs ourselves, the linked peers and the producers as the
// Engine's primary set (who may keep cache entries). Called with d.mu held.
func (d *Driver) setPrimary(now time.Time) {
	ps := make([]broadcast.NodeID, 0, 1+len(d.links)+len(d.producers))
	ps = append(ps, d.e.ID())
	for id := range d.links {
		ps = append(ps, id)
	}
	ps = append(ps, d.producers...)
	slices.SortFunc(ps, func(a, b broadcast.NodeID) int { return slices.Compare(a[:], b[:]) })
	d.e.SetPrimary(now, slices.Compact(ps))
}

// receiveRouted is the router's handler for Config.Class: the payload is a
// signed Push, the origin authenticated by the routing layer.
func (d *Driver) receiveRouted(dl transport.Delivery) {
	_ = d.step(func(now time.Time) error {
		return d.e.ReceiveRouted(now, broadcast.NodeID(dl.Origin), dl.Payload)
	})
}
