package cft

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
)

// ProtocolID is the libp2p protocol raft traffic runs under. Raft's own
// NetworkTransport framing (one type byte, then msgpack) is carried
// unchanged on each stream; the version changes if that framing does.
const ProtocolID protocol.ID = "/blockwire/cft/raft/1"

// Libp2pLayer is a raft.StreamLayer over libp2p streams (go-libp2p's
// p2p/net/gostream). Server ids and addresses are peer id strings; the
// peers' multiaddrs must be in the host's peerstore (the link layer's peer
// manager keeps them there). The host stays the caller's: Close removes the
// stream handler and resets the streams this layer opened or accepted, but
// does not close the host.
type Libp2pLayer struct {
	host host.Host
	ln   net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

var (
	_ raft.StreamLayer = (*Libp2pLayer)(nil)
	_ PeerConn         = (*trackedConn)(nil)
)

// NewLibp2pLayer registers ProtocolID on h and returns the layer.
func NewLibp2pLayer(h host.Host) (*Libp2pLayer, error) {
	ln, err := gostream.Listen(h, ProtocolID)
	if err != nil {
		return nil, fmt.Errorf("cft: listen on %s: %w", ProtocolID, err)
	}
	return &Libp2pLayer{host: h, ln: ln, conns: map[net.Conn]struct{}{}}, nil
}

// ServerAddress returns the raft address (and id) of a peer.
func ServerAddress(id peer.ID) raft.ServerAddress { return raft.ServerAddress(id.String()) }

// Accept waits for an inbound raft stream.
func (l *Libp2pLayer) Accept() (net.Conn, error) {
	c, err := l.ln.Accept()
	if err != nil {
		return nil, fmt.Errorf("cft: accept: %w", net.ErrClosed)
	}
	return l.track(c)
}

// Dial opens a raft stream to the peer whose id string is address.
func (l *Libp2pLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	pid, err := peer.Decode(string(address))
	if err != nil {
		return nil, fmt.Errorf("cft: address %q is not a peer id: %w", address, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := gostream.Dial(ctx, l.host, pid, ProtocolID)
	if err != nil {
		return nil, fmt.Errorf("cft: dial %s: %w", pid, err)
	}
	return l.track(c)
}

func (l *Libp2pLayer) track(c net.Conn) (net.Conn, error) {
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
func (l *Libp2pLayer) Close() error {
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
func (l *Libp2pLayer) Addr() net.Addr { return l.ln.Addr() }

// trackedConn forgets itself on Close so the layer's set stays bounded.
type trackedConn struct {
	net.Conn
	l    *Libp2pLayer
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
