package link

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Marking the bulk connection low priority (ConnConfig.BulkLowPriority).
//
// The bulk connection keeps block bytes out of every queue a vote passes
// in this process and its sockets, but not out of the queues past the
// socket: the host's own qdisc, and every router or shaper on the path,
// is usually one FIFO, where a vote waits behind the block packets queued
// ahead of it (at 100 Mbit/s a 1 MiB block is 84 ms of wire). A
// well-behaved application says which of its traffic can wait, and hosts
// and networks that honour it send the rest first. So both ends mark the
// bulk connection's TCP socket:
//
//   - DSCP CS1 (IP_TOS / IPV6_TCLASS 0x20), "low-priority data" (RFC 4594
//     §4.10), for routers and switches that queue by DiffServ class;
//   - SO_PRIORITY 2 (TC_PRIO_BULK) for this host's own queueing
//     disciplines: pfifo_fast (Linux's classic default) and prio put it
//     in their last band, behind the link connection's packets (priority
//     0). Setting IP_TOS resets the priority from the TOS byte, and CS1
//     maps to 0, so the priority is set after the TOS.
//
// The link connection (consensus and routing lanes) is left alone. On a
// path that queues every packet in one FIFO the mark changes nothing:
// votes still wait behind blocks there.
//
// How: go-libp2p gives no access to a TCP connection's socket (the
// upgraded connection's As stops at the yamux session, which keeps its
// net.Conn unexported, and the TCP transport has no socket-option hook for
// one connection), so the link finds the socket among its own process's
// file descriptors by its two addresses, which identify one TCP socket,
// and sets the options there (sockmark_linux.go; elsewhere nothing is
// marked). The dialer marks right after its dial, the listener when the
// bulk lanes have arrived; each end marks the packets it sends.
//
// QUIC bulk connections are not marked: quic-go writes the IP_TOS byte of
// every packet it sends (a control message carrying the ECN codepoint),
// which replaces the socket's DSCP with 0 and its priority with best
// effort, and go-libp2p offers no per-packet hook. The dialing side's
// bulk socket is its own (quicbulk.go), so a QUIC mark would need a packet
// conn that rewrites that control message; not done.

// Bulk marking values (ConnConfig.BulkLowPriority).
const (
	// BulkDSCP is the DiffServ codepoint of the bulk connection's
	// packets: CS1, low-priority data.
	BulkDSCP = 8
	// BulkSocketPriority is its SO_PRIORITY: TC_PRIO_BULK, the last band
	// of pfifo_fast and prio.
	BulkSocketPriority = 2
)

// errNoSocket: no TCP socket of this process has the connection's
// addresses (closed meanwhile).
var errNoSocket = errors.New("link: no socket of this process has the connection's addresses")

// SocketMark is what a TCP socket carries: its IP_TOS (IPv4) or
// IPV6_TCLASS (IPv6) byte and its SO_PRIORITY.
type SocketMark struct {
	TOS, Priority int
}

// bulkMark is the mark of a bulk connection's socket.
func bulkMark() SocketMark { return SocketMark{TOS: BulkDSCP << 2, Priority: BulkSocketPriority} }

// markBulk marks the socket of a TCP bulk connection (local and remote as
// this end sees them) if ConnConfig.BulkLowPriority is on. A failure only
// costs the mark: it is logged with why, and the link carries on.
func (hst *Host) markBulk(local, remote multiaddr.Multiaddr) {
	if !hst.cfg.Conn.BulkLowPriority {
		return
	}
	l, errL := tcpAddrPort(local)
	r, errR := tcpAddrPort(remote)
	if errL != nil || errR != nil {
		return // QUIC (not marked: see above) or an address without a socket
	}
	if err := markTCP(l, r, bulkMark()); err != nil {
		hst.log.Info().Err(err).Str("conn", local.String()+">"+remote.String()).
			Msg("bulk connection not marked low priority: its packets queue like votes past this socket")
		return
	}
	hst.log.Debug().Str("conn", local.String()+">"+remote.String()).Int("dscp", BulkDSCP).
		Int("priority", BulkSocketPriority).Msg("bulk connection marked low priority")
}

// tcpAddrPort is the IP and port of a TCP multiaddr (ip4 or ip6, tcp);
// an error for anything else.
func tcpAddrPort(m multiaddr.Multiaddr) (netip.AddrPort, error) {
	if len(m) < 2 || m[1].Code() != multiaddr.P_TCP {
		return netip.AddrPort{}, fmt.Errorf("link: %s is not a TCP address", m)
	}
	na, err := manet.ToNetAddr(m[:2])
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap, err := netip.ParseAddrPort(na.String())
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// TCPSocketMark reads the mark of this process's TCP socket whose local
// and remote addresses are local and remote (multiaddrs, as Stats names a
// link's connections): what a test or an operator's tool checks.
func TCPSocketMark(local, remote multiaddr.Multiaddr) (SocketMark, error) {
	l, err := tcpAddrPort(local)
	if err != nil {
		return SocketMark{}, err
	}
	r, err := tcpAddrPort(remote)
	if err != nil {
		return SocketMark{}, err
	}
	return readTCPMark(l, r)
}
