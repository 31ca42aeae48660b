package link

import (
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// connLimits sizes the connection manager and the resource manager
// together from MaxInbound, MaxOutbound and the always-allowed peers:
//
//	connmgr high = MaxInbound + MaxOutbound + static + protected
//	connmgr low  = 3/4 of high
//	rcmgr system conns = high + headroom, headroom = high/4 + 16
//
// so the connection manager trims before the resource manager refuses
// (libp2p warns otherwise), and the headroom absorbs transient duplicate
// connections during simultaneous dials and restarts. Our protocol gets an
// explicit per-peer stream budget: one stream per lane per connection, for
// two connections (a duplicate while it is pruned), plus slack.
type connLimits struct {
	low, high int
	rcmgr     rcmgr.ConcreteLimitConfig
}

func newConnLimits(cfg *Config, always int) connLimits {
	high := cfg.MaxInbound + cfg.MaxOutbound + always
	headroom := high/4 + 16
	low := max(1, high*3/4)
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	lanes := rcmgr.LimitVal(2*NumLanes + 2)
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(high + headroom),
			ConnsInbound:  rcmgr.LimitVal(cfg.MaxInbound + always + headroom),
			ConnsOutbound: rcmgr.LimitVal(cfg.MaxOutbound + always + headroom),
		},
		Transient: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(headroom),
			ConnsInbound:  rcmgr.LimitVal(headroom),
			ConnsOutbound: rcmgr.LimitVal(headroom),
		},
		ProtocolPeer: map[protocol.ID]rcmgr.ResourceLimits{
			ProtocolID: {StreamsInbound: lanes, StreamsOutbound: lanes, Streams: 2 * lanes},
		},
	}
	return connLimits{low: low, high: high, rcmgr: partial.Build(scaling.AutoScale())}
}
