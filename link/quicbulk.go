package link

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/transport"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	quicgo "github.com/quic-go/quic-go"
)

// QUIC bulk connections on UDP sockets of their own (issue 14).
//
// A host's QUIC connections all share one UDP socket: libp2p dials from
// the socket it listens on. A link's two connections then meet in that
// socket on both ends, and on the receiver a vote's packet waits in the
// socket's kernel receive queue, and for quic-go's one reader goroutine
// of that socket, behind up to one bulk window of block packets (512 KiB,
// ~400 packets). TCP has no such queue: its two connections are two
// sockets. So a QUIC host keeps two more sockets:
//
//   - a bulk listening socket per QUIC listen address
//     (Config.QUICBulkListenAddrs; by default the same IP, a random port),
//     an ordinary swarm listen address, advertised by identify like any
//     other;
//   - a bulk dialing socket: a second libp2p QUIC transport with its own
//     quicreuse manager, which has no listener and so dials every bulk
//     connection from one socket of its own (quicreuse keeps it while
//     connections use it).
//
// The bulk dialer dials, from its bulk socket, the peer's QUIC address on
// the IP the link's connection reached and another port (the peer's bulk
// port, learnt through identify); a peer that listens on one QUIC port
// (before this change, or QUICBulkListenAddrs empty) is dialed at the
// link's address as before, from the bulk socket. Either way the link's
// two connections use different sockets on both ends whenever the peer has
// a bulk port. The resource manager, gater and limits count the bulk
// connection as before (the transport is built with the host's).
//
// What remains shared: the host's ordinary dials may leave from its bulk
// listening socket (quicreuse picks any listening socket to dial from),
// so another peer's inbound bulk connection can share a socket with this
// host's outbound link connections; never a link with its own bulk
// connection.

// quicBulk is the host's bulk QUIC dialing transport.
type quicBulk struct {
	cm *quicreuse.ConnManager
	tr transport.Transport
}

func newQUICBulk(key crypto.PrivKey, g *gater, rm network.ResourceManager) (*quicBulk, error) {
	var srk quicgo.StatelessResetKey
	var tok quicgo.TokenGeneratorKey
	if _, err := rand.Read(srk[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, err
	}
	cm, err := quicreuse.NewConnManager(srk, tok)
	if err != nil {
		return nil, fmt.Errorf("link: bulk QUIC: %w", err)
	}
	tr, err := quic.NewTransport(key, cm, nil, g, rm)
	if err != nil {
		_ = cm.Close()
		return nil, fmt.Errorf("link: bulk QUIC: %w", err)
	}
	return &quicBulk{cm: cm, tr: tr}, nil
}

func (q *quicBulk) close() {
	if c, ok := q.tr.(interface{ Close() error }); ok {
		_ = c.Close()
	}
	_ = q.cm.Close()
}

// startQUICBulk listens on the bulk addresses and builds the bulk
// dialing transport, before any connection.
func (hst *Host) startQUICBulk(key crypto.PrivKey, rm network.ResourceManager) error {
	addrs, err := quicBulkListenAddrs(&hst.cfg)
	if err != nil || !hst.cfg.QUIC || !hst.cfg.Conn.BulkConn {
		return err
	}
	if len(addrs) > 0 {
		if err := hst.h.Network().Listen(addrs...); err != nil {
			return fmt.Errorf("link: bulk QUIC listen %v: %w", addrs, err)
		}
	}
	q, err := newQUICBulk(key, &gater{h: hst}, rm)
	if err != nil {
		return err
	}
	hst.quicBulk = q
	return nil
}

// quicBulkListenAddrs are the bulk listening addresses of cfg: its own, or
// one per QUIC listen address on the same IP and a random port.
func quicBulkListenAddrs(cfg *Config) ([]multiaddr.Multiaddr, error) {
	if !cfg.QUIC || !cfg.Conn.BulkConn {
		return nil, nil
	}
	if cfg.QUICBulkListenAddrs != nil {
		out := make([]multiaddr.Multiaddr, 0, len(cfg.QUICBulkListenAddrs))
		for _, s := range cfg.QUICBulkListenAddrs {
			m, err := multiaddr.NewMultiaddr(s)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	var out []multiaddr.Multiaddr
	for _, s := range cfg.ListenAddrs {
		m, err := multiaddr.NewMultiaddr(s)
		if err != nil || !isQUIC(m) {
			continue
		}
		ip, _ := multiaddr.SplitFirst(m)
		if ip == nil {
			continue
		}
		// A free port now, not port 0: libp2p's QUIC transport keys its
		// listeners by "ip:port" and panics on a second "ip:0" listener.
		port, err := freeUDPPort(m)
		if err != nil {
			return nil, err
		}
		b, err := multiaddr.NewMultiaddr(fmt.Sprintf("%s/udp/%d/quic-v1", ip, port))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// isQUIC says whether m is a plain QUIC-v1 address (ip/udp/quic-v1).
func isQUIC(m multiaddr.Multiaddr) bool {
	if len(m) != 3 {
		return false
	}
	return m[1].Code() == multiaddr.P_UDP && m[2].Code() == multiaddr.P_QUIC_V1
}

// dialQUICBulk dials c's peer for a bulk connection from the bulk
// socket: at its bulk port if it has one, within a quarter of the
// handshake time (a firewall may drop packets to that port, and the
// lanes still need the rest), then at the link's address.
func (hst *Host) dialQUICBulk(ctx context.Context, c network.Conn) (transport.CapableConn, multiaddr.Multiaddr, error) {
	raddr := c.RemoteMultiaddr()
	if target := hst.bulkTarget(ctx, c); !target.Equal(raddr) {
		dctx, cancel := context.WithTimeout(ctx, hst.cfg.Conn.HandshakeTimeout/4)
		cc, err := hst.quicBulk.tr.Dial(dctx, target, c.RemotePeer())
		cancel()
		if err == nil {
			return cc, target, nil
		}
		hst.log.Info().Err(err).Str("peer", c.RemotePeer().String()).Str("addr", target.String()).
			Msg("bulk QUIC port unreachable: bulk connection to the link's address")
	}
	cc, err := hst.quicBulk.tr.Dial(ctx, raddr, c.RemotePeer())
	return cc, raddr, err
}

// bulkTarget is where to dial c's peer for a bulk connection: on QUIC,
// the peer's QUIC address on the same IP as c's remote address and
// another port (its bulk port), once identify has told us its addresses;
// else c's remote address.
func (hst *Host) bulkTarget(ctx context.Context, c network.Conn) multiaddr.Multiaddr {
	raddr := c.RemoteMultiaddr()
	if !isQUIC(raddr) {
		return raddr
	}
	if ids, ok := hst.h.(interface{ IDService() identify.IDService }); ok && ids.IDService() != nil {
		select {
		case <-ids.IDService().IdentifyWait(c):
		case <-ctx.Done():
			return raddr
		}
	}
	rip, rport, err := udpIPPort(raddr)
	if err != nil {
		return raddr
	}
	for _, a := range hst.h.Peerstore().Addrs(c.RemotePeer()) {
		if !isQUIC(a) {
			continue
		}
		ip, port, err := udpIPPort(a)
		if err == nil && ip == rip && port != rport {
			return a
		}
	}
	return raddr
}

func udpIPPort(m multiaddr.Multiaddr) (string, int, error) {
	na, err := manet.ToNetAddr(m[:2])
	if err != nil {
		return "", 0, err
	}
	u, ok := na.(*net.UDPAddr)
	if !ok {
		return "", 0, fmt.Errorf("link: %s is not a UDP address", m)
	}
	return u.IP.String(), u.Port, nil
}

// freeUDPPort asks the kernel for a free UDP port on the IP of m, a QUIC
// address.
func freeUDPPort(m multiaddr.Multiaddr) (int, error) {
	na, err := manet.ToNetAddr(m[:2])
	if err != nil {
		return 0, err
	}
	u, ok := na.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("link: %s is not a UDP address", m)
	}
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: u.IP})
	if err != nil {
		return 0, fmt.Errorf("link: bulk QUIC port: %w", err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	_ = pc.Close()
	return port, nil
}

// bulkLocalAddr is the bulk connection's local address as the peer sees
// it: the bulk dialing socket listens on the unspecified address, so its
// IP is taken from the link's connection (the same route to the same
// peer IP), that both ends name the connection alike in Stats.
func bulkLocalAddr(bulk, link multiaddr.Multiaddr) multiaddr.Multiaddr {
	if len(bulk) < 2 || len(link) < 1 || !manet.IsIPUnspecified(bulk) || manet.IsIPUnspecified(link) {
		return bulk
	}
	if bulk[0].Code() != link[0].Code() {
		return bulk
	}
	out := append(multiaddr.Multiaddr{link[0]}, bulk[1:]...)
	return out
}
