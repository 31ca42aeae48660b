package link

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
)

// MemConfig shapes the links of an in-memory network.
type MemConfig struct {
	// Latency is the one-way delay of every byte.
	Latency time.Duration
	// Bandwidth is bytes per second per direction and lane stream; 0 means
	// unlimited. Lanes do not share it (as independent streams over an
	// uncongested path).
	Bandwidth float64
	// Loss is the probability that Send silently loses a message on a
	// lane other than LaneConsensus (the sender's stats count it as
	// DropSimLoss). Links are reliable streams, so loss models a peer that
	// drops messages rather than lost packets. 0 ≤ Loss < 1.
	Loss float64
	// PipeBuffer is how many bytes may be in flight per lane direction
	// before writes block (a socket buffer). Default 1 MiB.
	PipeBuffer int
	// Seed seeds the loss model.
	Seed uint64
	// ReceiveMemory is how many bytes of large messages (1 MiB and up)
	// each host may be receiving at once over all its links, the in-memory
	// stand-in for libp2p's resource manager: a message that would exceed
	// it ends its link with ReasonResource. 0 means unlimited. It is read
	// from the network's config when a host is added.
	ReceiveMemory int
}

// MemNetwork is an in-memory implementation of the link layer for tests and
// the simulator: hosts connect without sockets, through pipes with latency,
// bandwidth and loss, running the same link engine (framing, scheduler,
// flow control, dedup, scoring) as the libp2p Host. It uses only channels
// and timers, so it runs under testing/synctest on virtual time.
//
// Construct it inside the synctest bubble, add hosts with NewHost, connect
// them with MemHost.Connect, and Close every host before the test ends.
type MemNetwork struct {
	mu       sync.Mutex
	cfg      MemConfig
	pairs    map[[2]PeerID]MemConfig
	hosts    map[PeerID]*MemHost
	rnd      *rand.Rand
	nextConn uint64
	conns    map[[2]PeerID][]*memConn
}

// NewMemNetwork returns an empty network with default link shape cfg.
func NewMemNetwork(cfg MemConfig) (*MemNetwork, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &MemNetwork{
		cfg:   cfg,
		pairs: map[[2]PeerID]MemConfig{},
		hosts: map[PeerID]*MemHost{},
		rnd:   rand.New(rand.NewPCG(cfg.Seed, 0x6c696e6b)),
		conns: map[[2]PeerID][]*memConn{},
	}, nil
}

func (c *MemConfig) validate() error {
	switch {
	case c.Latency < 0:
		return fmt.Errorf("link: MemConfig.Latency = %v, want ≥ 0", c.Latency)
	case c.Bandwidth < 0:
		return fmt.Errorf("link: MemConfig.Bandwidth = %v, want ≥ 0", c.Bandwidth)
	case c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("link: MemConfig.Loss = %v, want 0 ≤ loss < 1", c.Loss)
	case c.PipeBuffer < 0:
		return fmt.Errorf("link: MemConfig.PipeBuffer = %d, want ≥ 0", c.PipeBuffer)
	case c.ReceiveMemory < 0:
		return fmt.Errorf("link: MemConfig.ReceiveMemory = %d, want ≥ 0", c.ReceiveMemory)
	}
	return nil
}

func pairKey(a, b PeerID) [2]PeerID {
	if b < a {
		a, b = b, a
	}
	return [2]PeerID{a, b}
}

// SetLink overrides the shape of links between a and b (both directions)
// for connections made afterwards.
func (n *MemNetwork) SetLink(a, b PeerID, cfg MemConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	n.mu.Lock()
	n.pairs[pairKey(a, b)] = cfg
	n.mu.Unlock()
	return nil
}

// Disconnect breaks every connection between a and b as a network failure
// would (both ends see ReasonTransport).
func (n *MemNetwork) Disconnect(a, b PeerID) {
	n.mu.Lock()
	conns := n.conns[pairKey(a, b)]
	delete(n.conns, pairKey(a, b))
	n.mu.Unlock()
	for _, c := range conns {
		c.breakAll()
	}
}

// NewHost adds a host with identity id. Handler may be nil. The logger's
// zero value is silent.
func (n *MemNetwork) NewHost(id PeerID, cfg ConnConfig, h Handler, log zerolog.Logger) (*MemHost, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.hosts[id]; dup {
		return nil, fmt.Errorf("link: MemNetwork.NewHost: peer %s already exists", id)
	}
	mh := &MemHost{net: n, hub: newHub(id, cfg, h, log.With().Str("component", "link").Str("self", id.String()).Logger())}
	if n.cfg.ReceiveMemory > 0 {
		mh.budget = &memBudget{limit: n.cfg.ReceiveMemory}
	}
	n.hosts[id] = mh
	return mh, nil
}

// memConn is one in-memory connection: NumLanes pipes each way.
type memConn struct {
	pipes []*memPipe
}

// breakAll cuts the connection: every pipe of it breaks at once. All the
// pipes' locks are held while they are marked broken, so no reader can
// see one pipe broken and another not. Breaking them one by one let a
// peer that noticed the first broken pipe tear its link down and
// half-close its streams before the loop reached them, and our reader
// then read that half-close as an orderly EOF: the link ended with
// remote_close instead of transport (the rare TestMemDisconnect failure,
// when the test's goroutine was descheduled inside the loop).
func (c *memConn) breakAll() {
	for _, p := range c.pipes {
		p.mu.Lock()
	}
	for _, p := range c.pipes {
		p.broken = true
	}
	for _, p := range c.pipes {
		p.mu.Unlock()
		signal(p.readable)
		signal(p.writable)
	}
}

// MemHost is one node on a MemNetwork; it implements Network.
type MemHost struct {
	net    *MemNetwork
	budget *memBudget // nil: unlimited (MemConfig.ReceiveMemory)
	*hub
}

var _ Network = (*MemHost)(nil)

// ID is the host's identity.
func (h *MemHost) ID() PeerID { return h.local }

// Connect opens a connection to info.ID and waits for the link.
func (h *MemHost) Connect(ctx context.Context, info peer.AddrInfo) (Link, error) {
	if l := h.Link(info.ID); l != nil {
		return l, nil
	}
	if info.ID == h.local {
		return nil, errors.New("link: connect to self")
	}
	if h.isBanned(info.ID) {
		return nil, fmt.Errorf("%w: %s", ErrBanned, info.ID)
	}
	n := h.net
	n.mu.Lock()
	remote := n.hosts[info.ID]
	if remote == nil {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w %s: no such host", ErrNoLink, info.ID)
	}
	if remote.isBanned(h.local) {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w %s: refused by the peer", ErrNoLink, info.ID)
	}
	shape, ok := n.pairs[pairKey(h.local, info.ID)]
	if !ok {
		shape = n.cfg
	}
	n.nextConn++
	key := fmt.Sprintf("mem-%020d", n.nextConn)
	conn, mine, theirs := newMemConn(shape)
	for l := range Lane(NumLanes) {
		mine[l].(*memStream).budget = h.budget
		theirs[l].(*memStream).budget = remote.budget
	}
	pk := pairKey(h.local, info.ID)
	n.conns[pk] = append(n.conns[pk], conn)
	n.mu.Unlock()

	loss := n.lossFunc(shape.Loss)
	a, err := h.newSession(sessionParams{remote: info.ID, dir: Outbound, dialer: h.local, key: key,
		transport: "mem", streams: mine, closeConn: func() {}, loss: loss})
	if err != nil {
		conn.breakAll()
		return nil, err
	}
	b, err := remote.newSession(sessionParams{remote: h.local, dir: Inbound, dialer: h.local, key: key,
		transport: "mem", streams: theirs, closeConn: func() {}, loss: loss})
	if err != nil {
		a.fail(&Error{Reason: ReasonTransport, Detail: "peer closed"})
		go h.add(a) // every session passes through add; a failed one is dropped there
		return nil, fmt.Errorf("%w %s: %w", ErrNoLink, info.ID, err)
	}
	go remote.add(b)
	go h.add(a)
	alive := func() bool {
		select {
		case <-a.closing:
			return false
		default:
			return true
		}
	}
	return h.waitLink(ctx, info.ID, alive)
}

func newMemConn(shape MemConfig) (c *memConn, mine, theirs [NumLanes]laneStream) {
	buf := shape.PipeBuffer
	if buf == 0 {
		buf = 1 << 20
	}
	c = &memConn{}
	for l := range NumLanes {
		ab := newMemPipe(shape.Latency, shape.Bandwidth, buf)
		ba := newMemPipe(shape.Latency, shape.Bandwidth, buf)
		c.pipes = append(c.pipes, ab, ba)
		mine[l] = &memStream{in: ba, out: ab}
		theirs[l] = &memStream{in: ab, out: ba}
	}
	return c, mine, theirs
}

// lossFunc draws from the network's seeded source.
func (n *MemNetwork) lossFunc(p float64) func(Lane) bool {
	if p == 0 {
		return nil
	}
	return func(l Lane) bool {
		if l == LaneConsensus {
			return false
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.rnd.Float64() < p
	}
}

// Close ends every link and removes the host from the network.
func (h *MemHost) Close() error {
	h.hub.close() //nolint:staticcheck // QF1008: the hub's close, not the MemHost's; the selector says which
	h.net.mu.Lock()
	delete(h.net.hosts, h.local)
	h.net.mu.Unlock()
	return nil
}
