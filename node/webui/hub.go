package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/internal/netview"
)

// Config configures a Hub.
type Config struct {
	// Interval is how often the hub gathers reports and sends a delta:
	// every change within it is coalesced into one frame.
	Interval time.Duration
	// ClientQueue is how many frames wait for a slow client before the
	// hub drops them (oldest first, all of them), counts them and sends
	// the client a fresh snapshot instead.
	ClientQueue int
	// MaxClients bounds concurrent streams; more get 503.
	MaxClients int
	// View bounds every frame (netview.Config).
	View netview.Config
}

// DefaultConfig is two frames a second, 16 queued frames (8 s) per client
// and 32 clients.
func DefaultConfig() Config {
	return Config{Interval: 500 * time.Millisecond, ClientQueue: 16, MaxClients: 32, View: netview.DefaultConfig()}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.Interval < 10*time.Millisecond:
		return fmt.Errorf("webui: Interval %v, want ≥ 10ms", c.Interval)
	case c.ClientQueue < 1:
		return fmt.Errorf("webui: ClientQueue %d, want ≥ 1", c.ClientQueue)
	case c.MaxClients < 1:
		return fmt.Errorf("webui: MaxClients %d, want ≥ 1", c.MaxClients)
	}
	return c.View.Validate()
}

// ErrTooManyClients is Subscribe's answer past MaxClients.
var ErrTooManyClients = errors.New("webui: too many event streams open")

// Hub gathers reports from its Source while at least one client streams,
// steps the view and fans each frame out to every client. It owns one
// goroutine while running.
type Hub struct {
	src Source
	cfg Config

	mu      sync.Mutex
	view    *netview.View
	clients map[*Client]struct{}
	stop    context.CancelFunc // nil while the loop is not running
	done    chan struct{}

	stats Stats
	wire  atomic.Uint64 // bytes written to every stream's connection
}

// Stats are a hub's cumulative counters (GET /ui/api/stats).
type Stats struct {
	Clients       int    `json:"clients"`
	Frames        uint64 `json:"frames"`
	FrameBytes    uint64 `json:"frame_bytes"`
	MaxFrameBytes int    `json:"max_frame_bytes"`
	// Dropped counts frames dropped for slow clients, over all clients.
	Dropped uint64 `json:"dropped"`
	// GatherMs is how long the last round of reports took.
	GatherMs float64 `json:"gather_ms"`
	// WireBytes counts bytes written to the streams' connections, after
	// compression, over all clients.
	WireBytes uint64 `json:"wire_bytes"`
}

// NewHub returns a hub over src.
func NewHub(src Source, cfg Config) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v, err := netview.New(cfg.View)
	if err != nil {
		return nil, err
	}
	return &Hub{src: src, cfg: cfg, view: v, clients: map[*Client]struct{}{}}, nil
}

// message is one encoded frame.
type message struct {
	kind string
	seq  uint64
	data []byte
}

// Client is one subscriber's queue.
type Client struct {
	ch      chan message
	resync  atomic.Bool
	dropped atomic.Uint64
}

// Subscribe registers a client and returns it with the snapshot it starts
// from. The first client starts the loop.
func (h *Hub) Subscribe() (*Client, []byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.cfg.MaxClients {
		return nil, nil, ErrTooManyClients
	}
	c := &Client{ch: make(chan message, h.cfg.ClientQueue)}
	h.clients[c] = struct{}{}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop, h.done = cancel, make(chan struct{})
		go h.run(ctx, h.done)
	}
	snap, err := json.Marshal(h.view.Snapshot())
	return c, snap, err
}

// Unsubscribe removes c; the last client stops the loop.
func (h *Hub) Unsubscribe(c *Client) {
	h.mu.Lock()
	delete(h.clients, c)
	var done chan struct{}
	if len(h.clients) == 0 && h.stop != nil {
		h.stop()
		h.stop, done = nil, h.done
	}
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Close stops the loop and ends every client's queue.
func (h *Hub) Close() {
	h.mu.Lock()
	stop, done := h.stop, h.done
	h.stop = nil
	for c := range h.clients {
		close(c.ch)
		delete(h.clients, c)
	}
	h.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// snapshot encodes the current picture, with c's dropped count.
func (h *Hub) snapshot(c *Client) (message, error) {
	h.mu.Lock()
	f := h.view.Snapshot()
	h.mu.Unlock()
	if c != nil {
		f.Dropped = c.dropped.Load()
	}
	b, err := json.Marshal(f)
	return message{kind: f.Kind, seq: f.Seq, data: b}, err
}

// Snapshot is the current picture, encoded. While no client streams (the
// loop is idle) it gathers a fresh round first.
func (h *Hub) Snapshot(ctx context.Context) ([]byte, error) {
	h.mu.Lock()
	idle := h.stop == nil
	h.mu.Unlock()
	if idle {
		h.round(ctx)
	}
	m, err := h.snapshot(nil)
	return m.data, err
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stats
	s.Clients = len(h.clients)
	s.WireBytes = h.wire.Load()
	return s
}

// run gathers and publishes every Interval until ctx ends.
func (h *Hub) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(h.cfg.Interval)
	defer t.Stop()
	for {
		h.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round gathers one set of reports, steps the view and publishes.
func (h *Hub) round(ctx context.Context) {
	began := time.Now()
	reports := h.src.Reports(ctx)
	if ctx.Err() != nil {
		return
	}
	gather := time.Since(began)
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.view.Step(time.Now(), reports)
	b, err := json.Marshal(f)
	if err != nil {
		return // a Frame always encodes; nothing to send if not
	}
	h.stats.Frames++
	h.stats.FrameBytes += uint64(len(b))
	h.stats.MaxFrameBytes = max(h.stats.MaxFrameBytes, len(b))
	h.stats.GatherMs = ms(gather)
	m := message{kind: f.Kind, seq: f.Seq, data: b}
	for c := range h.clients {
		h.stats.Dropped += c.offer(m)
	}
}

// offer queues m for c without blocking. A full queue is emptied (the
// oldest frames first, all of them: a client that misses one delta cannot
// apply the next) and c is marked to receive a snapshot; offer returns how
// many frames were dropped.
func (c *Client) offer(m message) uint64 {
	select {
	case c.ch <- m:
		return 0
	default:
	}
	var n uint64 = 1 // m itself
	for {
		select {
		case <-c.ch:
			n++
			continue
		default:
		}
		break
	}
	c.dropped.Add(n)
	c.resync.Store(true)
	// Wake the writer: the snapshot it sends covers m.
	c.ch <- message{kind: "resync", seq: m.seq}
	return n
}
