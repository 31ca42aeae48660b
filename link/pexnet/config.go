package pexnet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/pex"
)

// Config configures a Driver.
type Config struct {
	// Book tunes the address book; Self, Rand and CheckID are set by New
	// (Rand only if nil). TargetPeers and MaxPeers are the operator's
	// p2p.target_peers and p2p.max_peers.
	Book pex.Config
	// Seeds are multiaddrs with /p2p/<id>: dialled to bootstrap, held
	// only as long as the seed keeps us (it sheds us when full).
	Seeds []string
	// Static are the static peers' multiaddrs (the link layer keeps them
	// connected); the book shares them once a link proves them.
	Static []string
	// Self are our own dialable multiaddrs (no /p2p/), announced in our
	// Hello; nil takes the host's listen addresses (*link.Host).
	// Unspecified, and for a non-loopback network loopback, addresses
	// are left out.
	Self []string
	// Exempt reports peers never shed (producers); static peers are
	// always exempt.
	Exempt func(link.PeerID) bool
	// DialTimeout bounds one dial; ProbeTimeout one probe.
	DialTimeout  time.Duration
	ProbeTimeout time.Duration
	// Probe checks that a peer's own announced address accepts
	// connections; nil uses a TCP connect to its first TCP address.
	Probe func(ctx context.Context, addrs []string) error
	// RemoteIP returns a link's remote IP, "" if unknown; nil uses the
	// libp2p connection's address on a *link.Host.
	RemoteIP func(link.PeerID) string
	// Logger receives the driver's logs; the zero value is silent.
	Logger zerolog.Logger
}

// DefaultConfig returns pex.DefaultConfig with the driver's timeouts.
func DefaultConfig() Config {
	return Config{Book: pex.DefaultConfig(), DialTimeout: 10 * time.Second, ProbeTimeout: 3 * time.Second}
}

func (c *Config) validate() error {
	if c.DialTimeout <= 0 || c.ProbeTimeout <= 0 {
		return fmt.Errorf("pexnet: Config.DialTimeout = %v, ProbeTimeout = %v, want > 0", c.DialTimeout, c.ProbeTimeout)
	}
	if c.Book.Rand == nil {
		c.Book.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return nil
}
