// Peer discovery from seeds (issue 19 item 1): node/ only wires the
// link/pexnet driver, which runs the pure link/pex address book.

package node

import (
	"context"
	"errors"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/pex"
	"github.com/blockwire/blockwire/link/pexnet"
)

// ErrNoDiscovery: the node runs without peer discovery (no p2p.seeds and
// p2p.target_peers 0).
var ErrNoDiscovery = errors.New("node: peer discovery is off (set p2p.seeds or p2p.target_peers)")

// startDiscovery starts the driver on nw, told of the links already up
// (static peers may have connected while the host started).
func (n *Node) startDiscovery(nw link.Network) error {
	if !n.cfg.DiscoveryOn() {
		return nil
	}
	cfg := pexnet.DefaultConfig()
	cfg.Book.TargetPeers = n.cfg.P2P.TargetPeers
	if cfg.Book.TargetPeers == 0 {
		cfg.Book.TargetPeers = 8
	}
	cfg.Book.MaxPeers = n.cfg.P2P.MaxPeers
	if cfg.Book.MaxPeers == 0 {
		cfg.Book.MaxPeers = cfg.Book.TargetPeers + (cfg.Book.TargetPeers+1)/2
	}
	cfg.Seeds, cfg.Static = n.cfg.P2P.Seeds, n.cfg.P2P.StaticPeers
	// Producers of the set in force are never shed (static peers never are).
	cfg.Exempt = func(p link.PeerID) bool { return n.set.Load().Has(p) }
	cfg.Logger = n.bare("link")
	d, err := pexnet.New(cfg, nw)
	if err != nil {
		return err
	}
	n.disc.Store(d)
	d.Start()
	for _, l := range nw.Links() {
		d.Connected(l)
	}
	return nil
}

// discoveryFrame hands a routing-lane frame to discovery if it is one of
// its frames; it reports whether it took it.
func (n *Node) discoveryFrame(l link.Link, lane link.Lane, msg []byte) bool {
	if lane != link.LaneRouting || !pex.IsFrame(msg) {
		return false
	}
	if d := n.disc.Load(); d != nil {
		d.Receive(l, msg)
	}
	return true
}

func (n *Node) discoveryLink(l link.Link, up bool, err error) {
	d := n.disc.Load()
	switch {
	case d == nil:
	case up:
		d.Connected(l)
	default:
		d.Disconnected(l, err)
	}
}

func (n *Node) stopDiscovery() {
	if d := n.disc.Load(); d != nil {
		d.Close()
	}
}

// PeerBook is the discovery address book (the admin API's GET
// /peers/book): target and reached time, every entry with its source and
// verification, and the last entries dropped with the reason.
func (n *Node) PeerBook(ctx context.Context) (pexnet.Snapshot, error) {
	d := n.disc.Load()
	if d == nil {
		return pexnet.Snapshot{}, ErrNoDiscovery
	}
	return d.Snapshot(ctx)
}
