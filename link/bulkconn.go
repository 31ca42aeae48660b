package link

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/transport"
	"github.com/multiformats/go-multiaddr"
)

// The bulk connection (issue 14 item 2; wire version 3). A link's blocks
// and sync lanes run on a second connection to the same peer, dialed by
// the same side right after the first one's lanes are up, so that no
// block byte ever sits in front of a vote in a shared muxer queue, socket
// buffer or congestion window: the consensus and routing lanes keep the
// first connection to themselves. A vote then waits for nothing but the
// CPU, and a TCP link's bulk window (ConnConfig.BulkConnWindow) can be
// raised for a long path without delaying votes.
//
// Why a connection outside the swarm: libp2p's swarm keeps one connection
// per peer — DialPeer returns the existing one, even with
// network.WithForceDirectDial, which only excludes relayed ones — and has
// no exported way to add an outbound connection. So the dialer dials the
// address its first connection reached with the swarm's own transport
// (TransportForDialing(addr).Dial: the same TCP+TLS/Noise+yamux or QUIC
// upgrade, the same resource manager connection scope, the peer id
// authenticated by the handshake), and owns the connection itself: it is
// closed with the link, never shared, never trimmed on its own. Streams on
// it get a resource manager stream scope under ProtocolID like the
// swarm's, so large messages reserve memory there as on any lane
// (reserve.go). The listener sees an ordinary inbound connection in its
// swarm and binds the lane streams by the link id every preamble carries.
//
// If the bulk dial fails (an address reachable once but not twice, a
// resource limit), the link opens its bulk lanes on the first connection
// as before version 3, with the ordinary BulkWindow; Stats.BulkConn is then
// empty.

// dialer is the part of the libp2p swarm that finds a transport.
type dialer interface {
	TransportForDialing(multiaddr.Multiaddr) transport.Transport
}

// bulkConn is a link's second connection: on the dialer a connection it
// owns (cc), on the listener one in its swarm (in).
type bulkConn struct {
	cc  transport.CapableConn
	rm  network.ResourceManager
	in  network.Conn
	key string // as connKey: dialer address > listener address
}

// dialBulk dials a second connection to the peer of c, at the address c
// reached.
func (hst *Host) dialBulk(ctx context.Context, c network.Conn) (*bulkConn, error) {
	d := hst.bulkDialer
	if d == nil {
		var ok bool
		if d, ok = hst.h.Network().(dialer); !ok {
			return nil, errors.New("link: bulk connection: the network cannot dial by transport")
		}
	}
	raddr := c.RemoteMultiaddr()
	t := d.TransportForDialing(raddr)
	var cc transport.CapableConn
	var err error
	if t != nil && hst.quicBulk != nil && isQUIC(raddr) && hst.bulkDialer == nil {
		// A socket of its own on both ends (quicbulk.go).
		cc, raddr, err = hst.dialQUICBulk(ctx, c)
	} else if t == nil {
		return nil, fmt.Errorf("link: bulk connection: no transport for %s", raddr)
	} else {
		cc, err = t.Dial(ctx, raddr, c.RemotePeer())
	}
	if err != nil {
		return nil, fmt.Errorf("link: bulk connection to %s: %w", raddr, err)
	}
	if cc.RemotePeer() != c.RemotePeer() { // the transports check it; do not rely on it
		_ = cc.Close()
		return nil, fmt.Errorf("link: bulk connection: reached %s, want %s", cc.RemotePeer(), c.RemotePeer())
	}
	hst.markBulk(cc.LocalMultiaddr(), cc.RemoteMultiaddr())
	return &bulkConn{cc: cc, rm: hst.h.Network().ResourceManager(),
		key: bulkLocalAddr(cc.LocalMultiaddr(), c.LocalMultiaddr()).String() + ">" + cc.RemoteMultiaddr().String()}, nil
}

// newStream opens a stream on the bulk connection, under a resource
// manager stream scope for ProtocolID, as the swarm would.
func (b *bulkConn) newStream(ctx context.Context) (*scopedStream, error) {
	sc, err := b.rm.OpenStream(b.cc.RemotePeer(), network.DirOutbound)
	if err != nil {
		return nil, fmt.Errorf("link: bulk stream scope: %w", err)
	}
	if err := sc.SetProtocol(ProtocolID); err != nil {
		sc.Done()
		return nil, fmt.Errorf("link: bulk stream scope: %w", err)
	}
	ms, err := b.cc.OpenStream(ctx)
	if err != nil {
		sc.Done()
		return nil, fmt.Errorf("link: bulk stream: %w", err)
	}
	return &scopedStream{MuxedStream: ms, scope: sc}, nil
}

func (b *bulkConn) close() {
	if b.cc != nil {
		_ = b.cc.Close()
		return
	}
	_ = b.in.Close()
}

// scopedStream is a muxed stream with its resource scope, released once
// when the stream is closed or reset.
type scopedStream struct {
	network.MuxedStream
	scope network.StreamManagementScope
	once  sync.Once
}

func (s *scopedStream) Scope() network.StreamScope { return s.scope }

func (s *scopedStream) Close() error {
	err := s.MuxedStream.Close()
	s.once.Do(s.scope.Done)
	return err
}

func (s *scopedStream) Reset() error {
	err := s.MuxedStream.Reset()
	s.once.Do(s.scope.Done)
	return err
}
