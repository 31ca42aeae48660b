package link

import (
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
)

// gater enforces bans and the inbound limit at the libp2p layer, so a
// banned peer is refused before any stream exists.
type gater struct{ h *Host }

func (g *gater) InterceptPeerDial(p peer.ID) bool { return !g.h.isBanned(p) }

func (g *gater) InterceptAddrDial(peer.ID, multiaddr.Multiaddr) bool { return true }

func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

// InterceptSecured is the first point where an inbound peer's identity is
// authenticated.
func (g *gater) InterceptSecured(d network.Direction, p peer.ID, addrs network.ConnMultiaddrs) bool {
	if p == g.h.local {
		// Two nodes run with the same key: every peer sees one identity
		// at two places, and links flap between them (issue 12 item 7).
		g.h.log.Error().Str("peer", p.String()).Str("remote_addr", addrs.RemoteMultiaddr().String()).
			Msg("a peer presents our own identity: another node runs with this node's key; refused")
		return false
	}
	if g.h.isBanned(p) {
		g.h.log.Debug().Str("peer", p.String()).Msg("refused banned peer")
		return false
	}
	// A peer's second connection (its link's bulk connection,
	// bulkconn.go) adds no peer to the count.
	if d == network.DirInbound && !g.h.exempt(p) && g.h.ready.Load() &&
		len(g.h.h.Network().ConnsToPeer(p)) != 1 && g.h.count(network.DirInbound) >= g.h.cfg.MaxInbound {
		g.h.log.Debug().Str("peer", p.String()).Msg("refused inbound: MaxInbound reached")
		return false
	}
	return true
}

func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
