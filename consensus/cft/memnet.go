package cft

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// MemNetwork is an in-memory network of raft stream layers for tests. It
// uses only channels, mutexes and timers, so clusters on it run inside a
// testing/synctest bubble on virtual time (create the network inside the
// bubble). It can delay every write by a fixed latency and cut links.
//
// A cut link behaves like a silent network failure, not a refusal: bytes
// written on an existing connection across it vanish and reads see nothing
// until their deadline, and such connections stay dead after the link heals
// (raft redials). A dial across a cut link fails with ErrUnreachable.
type MemNetwork struct {
	mu      sync.Mutex
	layers  map[raft.ServerAddress]*MemLayer
	cut     map[[2]raft.ServerAddress]bool
	latency time.Duration
	conns   map[*memConn]struct{}
}

// NewMemNetwork returns an empty network with no latency and no cuts.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{
		layers: map[raft.ServerAddress]*MemLayer{},
		cut:    map[[2]raft.ServerAddress]bool{},
		conns:  map[*memConn]struct{}{},
	}
}

// SetLatency sets the one-way delay applied to writes made from now on.
func (n *MemNetwork) SetLatency(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.latency = d
}

// Layer returns a new stream layer listening at addr, replacing any closed
// one (a restarted node gets a fresh layer at the same address).
func (n *MemNetwork) Layer(addr raft.ServerAddress) *MemLayer {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := &MemLayer{net: n, addr: addr, accept: make(chan net.Conn), done: make(chan struct{})}
	n.layers[addr] = l
	return l
}

func pair(a, b raft.ServerAddress) [2]raft.ServerAddress {
	if a > b {
		a, b = b, a
	}
	return [2]raft.ServerAddress{a, b}
}

// Cut cuts or heals the link between a and b, in both directions.
func (n *MemNetwork) Cut(a, b raft.ServerAddress, cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !cut {
		delete(n.cut, pair(a, b))
		return
	}
	n.cut[pair(a, b)] = true
	for c := range n.conns {
		if pair(c.local, c.remote) == pair(a, b) {
			c.kill()
		}
	}
}

// Isolate cuts (or heals) every link of addr.
func (n *MemNetwork) Isolate(addr raft.ServerAddress, cut bool) {
	n.mu.Lock()
	others := make([]raft.ServerAddress, 0, len(n.layers))
	for a := range n.layers {
		if a != addr {
			others = append(others, a)
		}
	}
	n.mu.Unlock()
	for _, o := range others {
		n.Cut(addr, o, cut)
	}
}

// MemLayer is one node's raft.StreamLayer on a MemNetwork.
type MemLayer struct {
	net    *MemNetwork
	addr   raft.ServerAddress
	accept chan net.Conn // unbuffered: a dial completes when Accept takes it
	once   sync.Once
	done   chan struct{}
}

var _ raft.StreamLayer = (*MemLayer)(nil)

// Accept waits for an inbound connection.
func (l *MemLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes this node's end of every connection it
// dialled or accepted; the peers read EOF, so no raft goroutine stays
// blocked reading a dead node's pipe.
func (l *MemLayer) Close() error {
	l.once.Do(func() {
		close(l.done)
		n := l.net
		n.mu.Lock()
		defer n.mu.Unlock()
		for c := range n.conns {
			if c.local == l.addr {
				_ = c.closeLocked()
			}
		}
	})
	return nil
}

// Addr returns the layer's address.
func (l *MemLayer) Addr() net.Addr { return memAddr(l.addr) }

// Dial connects to the layer at address, waiting at most timeout for it to
// accept.
func (l *MemLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	n := l.net
	n.mu.Lock()
	target := n.layers[address]
	if target == nil || n.cut[pair(l.addr, address)] {
		n.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrUnreachable, address)
	}
	local, remote := newMemConnPair(n, l.addr, address)
	n.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case target.accept <- remote:
		return local, nil
	case <-target.done:
	case <-l.done:
	case <-t.C:
	}
	_ = local.Close()
	_ = remote.Close()
	return nil, fmt.Errorf("%w: %s did not accept", ErrUnreachable, address)
}

// DialAs connects to the layer at to as the peer from, without a layer at
// from: tests use it to play a peer that runs no raft of its own (a full
// node, an outsider, a removed producer) and must still be authenticated
// as itself.
func (n *MemNetwork) DialAs(from, to raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	l := &MemLayer{net: n, addr: from, accept: make(chan net.Conn), done: make(chan struct{})}
	return l.Dial(to, timeout)
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

// chunk is bytes in flight, readable from at.
type chunk struct {
	b  []byte
	at time.Time
}

// memPipe is one direction of a connection.
type memPipe struct {
	mu     sync.Mutex
	chunks []chunk
	closed bool          // writer closed: reader sees EOF after draining
	wake   chan struct{} // size 1: a pending wake-up is enough, writers never block
}

// memConn is one end of an in-memory connection.
type memConn struct {
	net           *MemNetwork
	local, remote raft.ServerAddress
	in, out       *memPipe
	peer          *memConn

	mu       sync.Mutex
	rdl, wdl time.Time
	closed   bool
	dead     bool // the link was cut: writes vanish, reads wait for deadline
	done     chan struct{}
}

var _ PeerConn = (*memConn)(nil)

// Peer is the address of the layer at the other end: a MemLayer dials only
// as its own address, which is how this network authenticates.
func (c *memConn) Peer() raft.ServerID { return raft.ServerID(c.remote) }

// Reset closes this end; the peer reads EOF.
func (c *memConn) Reset() error { return c.Close() }

func newMemConnPair(n *MemNetwork, a, b raft.ServerAddress) (*memConn, *memConn) {
	ab := &memPipe{wake: make(chan struct{}, 1)}
	ba := &memPipe{wake: make(chan struct{}, 1)}
	ca := &memConn{net: n, local: a, remote: b, in: ba, out: ab, done: make(chan struct{})}
	cb := &memConn{net: n, local: b, remote: a, in: ab, out: ba, done: make(chan struct{})}
	ca.peer, cb.peer = cb, ca
	n.conns[ca], n.conns[cb] = struct{}{}, struct{}{}
	return ca, cb
}

func (c *memConn) kill() {
	c.mu.Lock()
	c.dead = true
	c.mu.Unlock()
}

func (c *memConn) Read(b []byte) (int, error) {
	for {
		c.mu.Lock()
		closed, dead, dl := c.closed, c.dead, c.rdl
		c.mu.Unlock()
		if closed {
			return 0, net.ErrClosed
		}
		now := time.Now()
		if !dl.IsZero() && !now.Before(dl) {
			return 0, os.ErrDeadlineExceeded
		}
		var wait time.Duration = -1
		if !dead {
			n, w, eof := c.in.read(b, now)
			if n > 0 {
				return n, nil
			}
			if eof {
				return 0, io.EOF
			}
			wait = w
		}
		if !dl.IsZero() && (wait < 0 || dl.Sub(now) < wait) {
			wait = dl.Sub(now)
		}
		c.block(wait)
	}
}

// block waits for a wake-up, a close, or wait (forever when negative).
func (c *memConn) block(wait time.Duration) {
	var tc <-chan time.Time
	if wait >= 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-c.in.wake:
	case <-c.done:
	case <-tc:
	}
}

// read copies ready bytes; otherwise it reports how long until the next
// chunk is ready (-1: none queued) and whether the writer closed.
func (p *memPipe) read(b []byte, now time.Time) (n int, wait time.Duration, eof bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.chunks) > 0 && n < len(b) {
		ch := &p.chunks[0]
		if ch.at.After(now) {
			break
		}
		k := copy(b[n:], ch.b)
		n += k
		ch.b = ch.b[k:]
		if len(ch.b) == 0 {
			p.chunks = p.chunks[1:]
		}
	}
	if n > 0 {
		return n, 0, false
	}
	if len(p.chunks) > 0 {
		return 0, p.chunks[0].at.Sub(now), false
	}
	return 0, -1, p.closed
}

func (p *memPipe) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (c *memConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	closed, dead, dl := c.closed, c.dead, c.wdl
	c.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	if !dl.IsZero() && !time.Now().Before(dl) {
		return 0, os.ErrDeadlineExceeded
	}
	if dead {
		return len(b), nil
	}
	c.net.mu.Lock()
	lat := c.net.latency
	c.net.mu.Unlock()
	c.out.mu.Lock()
	c.out.chunks = append(c.out.chunks, chunk{b: append([]byte(nil), b...), at: time.Now().Add(lat)})
	c.out.mu.Unlock()
	c.out.signal()
	return len(b), nil
}

// Close closes this end: its reads fail, the peer reads EOF after draining.
func (c *memConn) Close() error {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.closeLocked()
}

func (c *memConn) closeLocked() error {
	delete(c.net.conns, c)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	c.out.mu.Lock()
	c.out.closed = true
	c.out.mu.Unlock()
	c.out.signal()
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return memAddr(c.local) }
func (c *memConn) RemoteAddr() net.Addr { return memAddr(c.remote) }

func (c *memConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl, c.wdl = t, t
	c.mu.Unlock()
	c.in.signal()
	return nil
}

func (c *memConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl = t
	c.mu.Unlock()
	c.in.signal()
	return nil
}

func (c *memConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdl = t
	c.mu.Unlock()
	return nil
}
