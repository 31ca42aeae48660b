// A raft.StreamLayer over libp2p streams, for the benchmark only: the node
// carries raft over its routed transport (cft.Messenger), and this layer
// left package cft with that switch.

package cftbench

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/net/gostream"

	"github.com/blockwire/blockwire/consensus/cft"
)

// protocolID is the libp2p protocol the benchmark's raft runs under. Raft's own
// NetworkTransport framing (one type byte, then msgpack) is carried
// unchanged on each stream; the version changes if that framing does.
const protocolID protocol.ID = "/blockwire/cftbench/raft/1"

// libp2pLayer is a raft.StreamLayer over libp2p streams (go-libp2p's
// p2p/net/gostream). Server ids and addresses are peer id strings; the
// peers' multiaddrs must be in the host's peerstore (the link layer's peer
// manager keeps them there). The host stays the caller's: Close removes the
// stream handler and resets the streams this layer opened or accepted, but
// does not close the host.
type libp2pLayer struct {
	host host.Host
	ln   net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

var (
	_ raft.StreamLayer = (*libp2pLayer)(nil)
	_ cft.PeerConn     = (*trackedConn)(nil)
)

// newLibp2pLayer registers protocolID on h and returns the layer.
func newLibp2pLayer(h host.Host) (*libp2pLayer, error) {
	ln, err := gostream.Listen(h, protocolID)
	if err != nil {
		return nil, fmt.Errorf("cftbench: listen on %s: %w", protocolID, err)
	}
	return &libp2pLayer{host: h, ln: ln, conns: map[net.Conn]struct{}{}}, nil
}

// Accept waits for an inbound raft stream.
func (l *libp2pLayer) Accept() (net.Conn, error) {
	c, err := l.ln.Accept()
	if err != nil {
		return nil, fmt.Errorf("cftbench: accept: %w", net.ErrClosed)
	}
	return l.track(c)
}

// Dial opens a raft stream to the peer whose id string is address.
func (l *libp2pLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	pid, err := peer.Decode(string(address))
	if err != nil {
		return nil, fmt.Errorf("cftbench: address %q is not a peer id: %w", address, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := gostream.Dial(ctx, l.host, pid, protocolID)
	if err != nil {
		return nil, fmt.Errorf("cftbench: dial %s: %w", pid, err)
	}
	return l.track(c)
}

func (l *libp2pLayer) track(c net.Conn) (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = struct{}{}
	return &trackedConn{Conn: c, l: l}, nil
}

// Close stops accepting and closes every stream of this layer.
func (l *libp2pLayer) Close() error {
	l.mu.Lock()
	conns := l.conns
	l.conns, l.done = nil, true
	l.mu.Unlock()
	err := l.ln.Close()
	for c := range conns {
		_ = c.Close()
	}
	return err
}

// Addr returns the host's peer id as a net.Addr.
func (l *libp2pLayer) Addr() net.Addr { return l.ln.Addr() }

// trackedConn forgets itself on Close so the layer's set stays bounded.
type trackedConn struct {
	net.Conn
	l    *libp2pLayer
	once sync.Once
}

// Peer is the remote libp2p peer id, authenticated by the connection's
// secure channel handshake.
func (c *trackedConn) Peer() raft.ServerID {
	if s, ok := c.Conn.(network.Stream); ok {
		return raft.ServerID(s.Conn().RemotePeer().String())
	}
	return ""
}

// Reset aborts the stream in both directions (the peer sees a reset, not
// an orderly close).
func (c *trackedConn) Reset() error {
	if s, ok := c.Conn.(network.Stream); ok {
		_ = s.Reset()
	}
	return c.Close()
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c.Conn)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
