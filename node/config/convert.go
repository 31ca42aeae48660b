package config

import (
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// LinkConfig converts the [p2p] section into the link layer's config. The
// key file is the node's (the same key signs blocks).
func (c *Config) LinkConfig() (link.Config, error) {
	lc := link.DefaultConfig()
	lc.KeyFile = c.Path(c.Node.KeyFile)
	lc.ListenAddrs = append([]string(nil), c.P2P.Listen...)
	lc.StaticPeers = append([]string(nil), c.P2P.StaticPeers...)
	lc.MaxInbound, lc.MaxOutbound = c.P2P.MaxInbound, c.P2P.MaxOutbound
	lc.MDNS = c.P2P.MDNS
	// A block travels in one message on the blocks lane.
	lc.Conn.MaxMessage[link.LaneBlocks] = max(lc.Conn.MaxMessage[link.LaneBlocks], c.P2P.MaxBlockBytes+1<<10)
	if c.P2P.BulkWindow > 0 {
		lc.Conn.BulkWindow = c.P2P.BulkWindow
	}
	if c.P2P.QUICBulkWindow > 0 {
		lc.Conn.QUICBulkWindow = c.P2P.QUICBulkWindow
	}
	lc.QUICBulkListenAddrs = c.P2P.QUICBulkListen
	lc.Conn.BulkLowPriority = c.P2P.BulkLowPriority
	if c.P2P.BulkConnWindow > 0 {
		lc.Conn.BulkConnWindow = c.P2P.BulkConnWindow
	}
	switch {
	case c.P2P.BulkWindowMax > 0:
		lc.Conn.BulkWindowMax = c.P2P.BulkWindowMax
	case c.P2P.BulkWindowMax == -1:
		lc.Conn.BulkWindowMax = 0 // the link's "no tuning"
	}
	if err := lc.Validate(); err != nil {
		return lc, &ConfigError{Key: "p2p", Problem: err.Error(), Err: err}
	}
	return lc, nil
}

// CFTConfig converts the [consensus] section into the CFT engine's config;
// the node fills LocalID, Genesis, Bootstrap and Logger.
func (c *Config) CFTConfig() cft.Config {
	cc := cft.DefaultConfig()
	cc.ProduceInterval = c.Consensus.BlockInterval.Duration
	cc.HeartbeatTimeout = c.Consensus.HeartbeatTimeout.Duration
	cc.ElectionTimeout = c.Consensus.ElectionTimeout.Duration
	cc.LeaderLeaseTimeout = c.Consensus.LeaderLeaseTimeout.Duration
	return cc
}

// DiscoveryOn reports whether the config turns peer discovery on
// (p2p.seeds or p2p.target_peers).
func (c *Config) DiscoveryOn() bool { return len(c.P2P.Seeds) > 0 || c.P2P.TargetPeers > 0 }
