package link

import (
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// connLimits sizes the connection manager and the resource manager
// together from MaxInbound, MaxOutbound and the always-allowed peers:
//
//	connmgr high = perLink × (MaxInbound + MaxOutbound + static + protected)
//	connmgr low  = 3/4 of high
//	rcmgr system conns = high + headroom, headroom = high/4 + 16
//
// where perLink is 2 with ConnConfig.BulkConn (a link's bulk connection,
// bulkconn.go), else 1; the inbound and outbound system limits scale the
// same way. The dialer's bulk connection is outside its swarm, so its
// connection manager never counts or trims it, but its resource manager
// does count it. So the connection manager trims before the resource manager refuses
// (libp2p warns otherwise), and the headroom absorbs transient duplicate
// connections during simultaneous dials and restarts. Our protocol gets an
// explicit per-peer stream budget: one stream per lane per connection, for
// two connections (a duplicate while it is pruned), plus slack.
//
// Memory: a received message of 1 MiB or more reserves memory from its
// stream's scope as its bytes arrive (reserve.go), which the resource
// manager checks against the stream, protocol, protocol-peer, peer and
// system limits. Unprotected peers reserve at reservePrioPeer, which
// succeeds only below 204/256 of each limit, so the per-peer scopes are
// scaled by 256/204 (the "↑" below). With perConn = the sum of MaxMessage
// over the lanes (every lane receiving its largest message at once):
//
//	stream        ≥ ↑(largest MaxMessage + 1 MiB)
//	protocol-peer = ↑(2 × perConn) (a duplicate connection while it is pruned)
//	peer          ≥ ↑(2 × perConn) + 2 × the muxer's per-connection memory
//	protocol      = Config.ReceiveMemory, or the system limit (autoscaled:
//	                1/8 of the machine's memory + 128 MiB)
//
// so one peer can always receive what the lanes allow, unprotected peers
// together fill at most 4/5 of the protocol limit, and producers and
// static peers always find the rest.
type connLimits struct {
	low, high int
	rcmgr     rcmgr.ConcreteLimitConfig
}

func newConnLimits(cfg *Config, always int) connLimits {
	perLink := 1
	if cfg.Conn.BulkConn {
		perLink = 2 // and a bulk connection (bulkconn.go)
	}
	high := perLink * (cfg.MaxInbound + cfg.MaxOutbound + always)
	headroom := high/4 + 16
	low := max(1, high*3/4)
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	lanes := rcmgr.LimitVal(2*NumLanes + 2)
	auto := scaling.AutoScale()
	defaults := auto.ToPartialLimitConfig()
	var largest, perConn int64
	for _, m := range cfg.Conn.MaxMessage {
		largest, perConn = max(largest, int64(m)), perConn+int64(m)
	}
	up := func(v int64) int64 { return v / int64(1+reservePrioPeer) * 256 }
	protoMem := rcmgr.LimitVal64(defaults.System.Memory)
	if cfg.ReceiveMemory > 0 {
		protoMem = rcmgr.LimitVal64(cfg.ReceiveMemory)
	}
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(high + headroom),
			ConnsInbound:  rcmgr.LimitVal(perLink*(cfg.MaxInbound+always) + headroom),
			ConnsOutbound: rcmgr.LimitVal(perLink*(cfg.MaxOutbound+always) + headroom),
		},
		Transient: rcmgr.ResourceLimits{
			Conns:         rcmgr.LimitVal(headroom),
			ConnsInbound:  rcmgr.LimitVal(headroom),
			ConnsOutbound: rcmgr.LimitVal(headroom),
		},
		ProtocolPeer: map[protocol.ID]rcmgr.ResourceLimits{
			ProtocolID: {StreamsInbound: lanes, StreamsOutbound: lanes, Streams: 2 * lanes, Memory: rcmgr.LimitVal64(up(2 * perConn))},
		},
		Protocol: map[protocol.ID]rcmgr.ResourceLimits{
			ProtocolID: {Memory: protoMem},
		},
		PeerDefault: rcmgr.ResourceLimits{
			Memory: rcmgr.LimitVal64(max(int64(defaults.PeerDefault.Memory), up(2*perConn)+2*int64(defaults.Conn.Memory))),
		},
		Stream: rcmgr.ResourceLimits{
			Memory: rcmgr.LimitVal64(max(int64(defaults.Stream.Memory), up(largest+reserveThreshold))),
		},
	}
	return connLimits{low: low, high: high, rcmgr: partial.Build(auto)}
}
