package link

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/multiformats/go-multiaddr"
	"github.com/rs/zerolog"
)

// ConnConfig tunes every link, for the libp2p host and the in-memory network
// alike. The zero value is not valid; start from DefaultConnConfig.
type ConnConfig struct {
	// MaxMessage is the largest message accepted per lane, in bytes. It is
	// checked on Send and on every received frame header, before allocation.
	// Blocks must fit in MaxMessage[LaneBlocks]. Range 1 KiB .. 1 GiB.
	MaxMessage [NumLanes]int

	// SendQueueBytes bounds the bytes queued for one peer on each of the
	// routing, blocks and sync lanes (separately, so that a queued block
	// never makes a routing message fail). A Send that would exceed it fails
	// with ErrQueueFull and is counted as a drop; a message larger than the
	// bound is still accepted into an empty lane queue so that any valid
	// block can be sent. Larger values absorb bursts; smaller ones bound
	// memory: a peer costs at most 3*SendQueueBytes + ConsensusQueueBytes
	// (plus one oversized message per lane).
	SendQueueBytes int

	// ConsensusQueueBytes bounds our own consensus backlog to one peer. Our
	// consensus messages are never dropped and Send never blocks on them;
	// when this bound is exceeded the peer is not reading, and the link is
	// closed with ReasonConsensusBacklog instead. Must be ≥ MaxMessage[LaneConsensus].
	ConsensusQueueBytes int

	// ChunkSize is the largest piece of a message written to the muxer at
	// once (frame header included). Smaller chunks interleave the blocks
	// and sync lanes more finely and cost more writes. The default,
	// DefaultChunkSize, is the largest body of one yamux frame, so that a
	// chunk is one muxer frame. 4 KiB .. 1 MiB, and at most half of either
	// bulk window.
	ChunkSize int

	// BulkWindow is the flow-control window of the blocks and sync lanes on
	// TCP (yamux) and in-memory links, in bytes: how much a sender may have
	// in flight before the receiver grants more. It bounds how many block
	// bytes sit in the pipe ahead of a vote (the loaded consensus p99
	// tracks it; see docs/benchmarks.md), and limits bulk throughput to
	// BulkWindow/RTT per lane: the default suits a LAN (a vote waits at
	// most ~1 ms behind blocks at 1 Gbit/s) and keeps loopback throughput
	// near the raw stream's; a WAN link wants bandwidth × RTT (50 ms at
	// 1 Gbit/s: ~6 MiB). Above 256 KiB (yamux's initial stream window) a
	// bulk write may wait for yamux's window update for up to a round trip
	// until yamux has grown the window; consensus frames do not wait with
	// it (they have their own writer, session.go).
	// The receiver's memory per bulk lane and peer is one window plus the
	// message being delivered. 2*ChunkSize .. MaxBulkWindow.
	BulkWindow int

	// QUICBulkWindow is BulkWindow for QUIC links. QUIC needs a larger
	// window for the same loopback throughput (its credit round trip is
	// longer: packets, acknowledgements and pacing); 512 KiB is its initial
	// stream window. 2*ChunkSize .. MaxBulkWindow.
	QUICBulkWindow int

	// BulkConn puts a libp2p link's blocks and sync lanes on a second
	// connection to the peer, dialed right after the first by the same
	// side (bulkconn.go), so that no block byte waits in front of a vote
	// in a shared muxer queue, socket buffer or congestion window. Each
	// such link then holds two connections (limits.go counts them). If
	// the second dial fails the link falls back to one connection. Both
	// ends must agree only in that a listener accepts either form. The
	// in-memory network ignores it (its lanes never share a pipe).
	BulkConn bool

	// BulkLowPriority marks the TCP socket of a link's bulk connection,
	// on both ends, low priority: DSCP CS1 for the network and
	// SO_PRIORITY 2 (TC_PRIO_BULK) for this host's queueing disciplines,
	// so that hosts and routers that honour it send votes before queued
	// block packets (sockmark.go). A FIFO-only path ignores it. Linux
	// only; QUIC bulk connections are not marked (sockmark.go says why).
	// Default off: with strict priority bands on every link (the netns
	// testnet's --prio) full nodes fell behind for seconds in 3 of 5
	// 16-node runs, not yet understood (a starved band is a suspect);
	// turn it on where the path's queues are known to honour it well.
	BulkLowPriority bool

	// BulkConnWindow is the bulk window of a TCP link whose bulk lanes
	// have their own connection (BulkConn). Its bytes queue in front of
	// no vote in any buffer, so on a WAN it can be raised to bandwidth ×
	// RTT without delaying votes on the wire, unlike BulkWindow. The
	// default stays 128 KiB: 1 MiB is the smallest window at which a
	// lane's read and write system calls per MiB fall to the raw libp2p
	// stream's (BenchmarkLaneThroughput reads/MiB, writes/MiB), but on this
	// project's 2-vCPU host the faster bulk flow takes the CPU the vote
	// needs: in a quiet interleaved A/B the loaded vote p99 was ~1,000 µs
	// with 1 MiB against ~315–395 µs with 128 KiB, and 4 MiB raised it
	// 2.5–4× under load (docs/benchmarks.md, issue 14). Raise it on hosts
	// with spare cores and long fat links. Since session 10 it is the
	// starting window: within a message it grows up to BulkWindowMax on a
	// path that drains it fast (credit.go). QUIC links
	// keep QUICBulkWindow (bulkWindow says why). The receiver's
	// memory per bulk lane and peer is one window plus the message being
	// delivered. 2*ChunkSize .. MaxBulkWindow.
	BulkConnWindow int

	// BulkWindowMax is how far the bulk window of a link whose bulk lanes
	// have their own connection (BulkConn; TCP and QUIC) may grow above
	// BulkConnWindow or QUICBulkWindow, and only within one message: the
	// credit beyond the configured window never reaches past the end of
	// the message being received, so a sender still has at most the
	// configured window of its next message on the wire when one ends
	// (credit.go). The window doubles while the peer moves a window in
	// less than BulkTuneDelay (or two of the path's lowest round trips);
	// it never shrinks. The receiver's memory per bulk lane and peer is
	// then at most this plus the message being delivered. The default,
	// 512 KiB (four TCP windows; QUIC's window already is 512 KiB, so QUIC
	// links do not tune unless it is raised), is a compromise measured on
	// a loaded 2-vCPU host: the bytes of a window in flight are work the
	// bulk goroutines do without blocking, which the vote waits behind for
	// a CPU — at 1–2 MiB the loaded vote p99 rose 2–4× (docs/benchmarks.md,
	// "link: TCP lane throughput (issue 14, session 10)"); raise it on hosts
	// with spare cores and long fat paths. 0 (or anything not above the
	// configured window) turns tuning off. 0 .. MaxBulkWindow.
	BulkWindowMax int

	// BulkTuneDelay is the tuning target of BulkWindowMax: a window that
	// drains faster than this is too small for the path. Larger values
	// grow windows on slower links, whose queued bytes then delay what
	// shares their bottleneck by up to this much more. > 0 when
	// BulkWindowMax tunes.
	BulkTuneDelay time.Duration

	// InboundMsgRate and InboundMsgBurst limit messages per second received
	// per lane from one peer (token bucket). Excess messages are dropped
	// (DropRateLimited), logged and cost FloodPenalty. 0 rate = unlimited.
	InboundMsgRate  [NumLanes]float64
	InboundMsgBurst [NumLanes]int

	// PingInterval is how often a link measures RTT with a PING on the
	// consensus lane; PingTimeout closes a link whose PONG does not come back
	// (ReasonTimeout). PingTimeout > PingInterval. The timeout is checked
	// on the ping tick, so a dead peer (powered off, partitioned: nothing
	// resets the connection) is detected within PingTimeout +
	// 2×PingInterval of its last PONG (9 s with the defaults 2 s and 5 s).
	// A PONG is a control frame, sent ahead of every queued message, so a
	// loaded link does not delay it by more than one chunk.
	PingInterval time.Duration
	PingTimeout  time.Duration

	// StallTimeout ends a link (ReasonStalled, StallPenalty) whose peer
	// began a message and then sent no byte of it for this long while
	// allowed to send (issue 11, attack 1: an announced message holds our
	// memory). It also bounds how long a reader waits for memory the
	// resource manager refuses before the link ends with ReasonResource.
	// Checked on the ping tick: > PingInterval.
	StallTimeout time.Duration

	// BulkStallTimeout ends a link (ReasonStalled, StallPenalty) that has
	// bytes queued on a bulk lane and got no credit from the peer for this
	// long: a peer that never reads must not hold our queued blocks
	// (issue 11, attack 4). An honest peer withholds credit only while
	// its application is busy delivering, so this is long. > PingInterval.
	BulkStallTimeout time.Duration

	// QueueBudget bounds the bytes queued for sending on the routing,
	// blocks and sync lanes of all links of a host together (node-wide;
	// SendQueueBytes is per link and lane). A Send to a peer that is
	// neither protected nor static fails with ErrQueueFull (DropBudget)
	// while the total is at or above it; protected and static peers are
	// counted but never refused by it, and consensus is never refused.
	// With the defaults, 64 peers that grant no credit hold at most this
	// much, not 64 × 3 × SendQueueBytes. 0 means no node-wide bound.
	QueueBudget int64

	// WriteTimeout closes a link when one write to the muxer blocks longer
	// (the peer stopped reading). It is also the GOAWAY flush budget.
	WriteTimeout time.Duration

	// HandshakeTimeout bounds opening all lane streams of a new connection.
	HandshakeTimeout time.Duration

	// DefaultMode is the Mode of a new link.
	DefaultMode Mode

	// Score configures peer scoring and bans.
	Score ScoreConfig
}

// ScoreConfig sets the cost of each peer fault and when a peer is banned.
// A peer's score starts at 0, faults subtract their penalty, and the score
// decays back toward 0 with half-life HalfLife. At -BanThreshold or below
// the peer is banned for BanDuration and disconnected with ReasonBanned.
type ScoreConfig struct {
	DecodePenalty      float64 // malformed frame or preamble
	OversizePenalty    float64 // frame above the lane maximum
	UnknownLanePenalty float64 // stream for an unknown lane id
	ProtocolPenalty    float64 // credit overrun, wrong frame on a lane, bad version
	FloodPenalty       float64 // per message dropped by the inbound rate limit (never charged to protected peers)
	StallPenalty       float64 // a stalled partial message or bulk lane (stall.go)
	BanThreshold       float64 // > 0
	BanDuration        time.Duration
	HalfLife           time.Duration
}

// MaxBulkWindow is the largest bulk window Validate accepts. The receiver
// drains the muxer whatever its application does (credit.go), so no window
// can block the peer's writer on a stalled consumer; the cap bounds the
// memory a peer can make us hold per bulk lane.
const MaxBulkWindow = 32 << 20

// DefaultChunkSize is ConnConfig.ChunkSize's default: yamux's largest
// frame (64 KiB, MaxMessageSize) less its 12-byte header. yamux cuts every
// Write into frames of at most this body, each a TLS record train and
// syscalls of its own on both ends; a 64 KiB chunk was two frames, the
// second of 12 bytes. On QUIC, which has no such frame, the size hardly
// matters.
const DefaultChunkSize = 64<<10 - 12

// bulkWindow is the bulk window for a link over transport, whose bulk
// lanes have a connection of their own if separate.
//
// QUIC keeps QUICBulkWindow even with a bulk connection. It was chosen
// when both QUIC connections shared the host's one UDP socket and its
// kernel receive buffer (416 KiB where rmem_max is not raised): at 4 MiB
// the QUIC lane's throughput fell from 0.40 to 0.25 of the raw stream's.
// Since the bulk connection has sockets of its own (quicbulk.go) 1 MiB
// was tried against 512 KiB and showed no difference within the noise of
// a loaded host (docs/benchmarks.md, issue 14, branch quic14).
func (c *ConnConfig) bulkWindow(transport string, separate bool) int {
	if transport == "quic" {
		return c.QUICBulkWindow
	}
	if separate {
		return c.BulkConnWindow
	}
	return c.BulkWindow
}

// bulkWindowMax is how far bulkWindow may grow: BulkWindowMax with a bulk
// connection, else not at all (on a shared connection the window's bytes
// queue in front of votes).
func (c *ConnConfig) bulkWindowMax(separate bool) int {
	if !separate {
		return 0
	}
	return c.BulkWindowMax
}

// DefaultConnConfig returns the defaults used by DefaultConfig.
func DefaultConnConfig() ConnConfig {
	return ConnConfig{
		MaxMessage:          [NumLanes]int{4 << 20, 4 << 20, 128 << 20, 16 << 20},
		SendQueueBytes:      32 << 20,
		ConsensusQueueBytes: 64 << 20,
		ChunkSize:           DefaultChunkSize,
		BulkWindow:          128 << 10,
		QUICBulkWindow:      512 << 10,
		BulkConn:            true,
		BulkLowPriority:     false,
		BulkConnWindow:      128 << 10,
		BulkWindowMax:       512 << 10,
		BulkTuneDelay:       2 * time.Millisecond,
		InboundMsgRate:      [NumLanes]float64{20000, 10000, 10000, 10000},
		InboundMsgBurst:     [NumLanes]int{40000, 20000, 20000, 20000},
		PingInterval:        2 * time.Second,
		PingTimeout:         5 * time.Second,
		StallTimeout:        15 * time.Second,
		BulkStallTimeout:    60 * time.Second,
		QueueBudget:         256 << 20,
		WriteTimeout:        20 * time.Second,
		HandshakeTimeout:    10 * time.Second,
		DefaultMode:         ModeActive,
		Score: ScoreConfig{
			DecodePenalty:      40,
			OversizePenalty:    50,
			UnknownLanePenalty: 50,
			ProtocolPenalty:    40,
			FloodPenalty:       0.05,
			StallPenalty:       25,
			BanThreshold:       100,
			BanDuration:        10 * time.Minute,
			HalfLife:           10 * time.Minute,
		},
	}
}

// Validate reports the first invalid field by name and value.
func (c *ConnConfig) Validate() error {
	for l := range Lane(NumLanes) {
		if m := c.MaxMessage[l]; m < 1<<10 || m > 1<<30 {
			return fmt.Errorf("link: ConnConfig.MaxMessage[%s] = %d, want 1 KiB .. 1 GiB", l, m)
		}
		if c.InboundMsgRate[l] < 0 || c.InboundMsgBurst[l] < 0 {
			return fmt.Errorf("link: ConnConfig.InboundMsgRate/Burst[%s] negative", l)
		}
		if c.InboundMsgRate[l] > 0 && c.InboundMsgBurst[l] < 1 {
			return fmt.Errorf("link: ConnConfig.InboundMsgBurst[%s] = %d, want ≥ 1 when a rate is set", l, c.InboundMsgBurst[l])
		}
	}
	switch {
	case c.SendQueueBytes < 1<<10:
		return fmt.Errorf("link: ConnConfig.SendQueueBytes = %d, want ≥ 1 KiB", c.SendQueueBytes)
	case c.ConsensusQueueBytes < c.MaxMessage[LaneConsensus]:
		return fmt.Errorf("link: ConnConfig.ConsensusQueueBytes = %d, want ≥ MaxMessage[consensus] = %d", c.ConsensusQueueBytes, c.MaxMessage[LaneConsensus])
	case c.ChunkSize < 4<<10 || c.ChunkSize > 1<<20:
		return fmt.Errorf("link: ConnConfig.ChunkSize = %d, want 4 KiB .. 1 MiB", c.ChunkSize)
	case c.BulkWindow < 2*c.ChunkSize || c.BulkWindow > MaxBulkWindow:
		return fmt.Errorf("link: ConnConfig.BulkWindow = %d, want 2*ChunkSize = %d .. MaxBulkWindow = %d", c.BulkWindow, 2*c.ChunkSize, MaxBulkWindow)
	case c.QUICBulkWindow < 2*c.ChunkSize || c.QUICBulkWindow > MaxBulkWindow:
		return fmt.Errorf("link: ConnConfig.QUICBulkWindow = %d, want 2*ChunkSize = %d .. MaxBulkWindow = %d", c.QUICBulkWindow, 2*c.ChunkSize, MaxBulkWindow)
	case c.BulkConn && (c.BulkConnWindow < 2*c.ChunkSize || c.BulkConnWindow > MaxBulkWindow):
		return fmt.Errorf("link: ConnConfig.BulkConnWindow = %d, want 2*ChunkSize = %d .. MaxBulkWindow = %d", c.BulkConnWindow, 2*c.ChunkSize, MaxBulkWindow)
	case c.BulkWindowMax < 0 || c.BulkWindowMax > MaxBulkWindow:
		return fmt.Errorf("link: ConnConfig.BulkWindowMax = %d, want 0 .. MaxBulkWindow = %d", c.BulkWindowMax, MaxBulkWindow)
	case c.BulkWindowMax > 0 && c.BulkTuneDelay <= 0:
		return fmt.Errorf("link: ConnConfig.BulkTuneDelay = %v, want > 0 when BulkWindowMax is set", c.BulkTuneDelay)
	case c.PingInterval <= 0:
		return fmt.Errorf("link: ConnConfig.PingInterval = %v, want > 0", c.PingInterval)
	case c.PingTimeout <= c.PingInterval:
		return fmt.Errorf("link: ConnConfig.PingTimeout = %v, want > PingInterval = %v", c.PingTimeout, c.PingInterval)
	case c.StallTimeout <= c.PingInterval:
		return fmt.Errorf("link: ConnConfig.StallTimeout = %v, want > PingInterval = %v", c.StallTimeout, c.PingInterval)
	case c.BulkStallTimeout <= c.PingInterval:
		return fmt.Errorf("link: ConnConfig.BulkStallTimeout = %v, want > PingInterval = %v", c.BulkStallTimeout, c.PingInterval)
	case c.QueueBudget < 0:
		return fmt.Errorf("link: ConnConfig.QueueBudget = %d, want ≥ 0", c.QueueBudget)
	case c.WriteTimeout <= 0:
		return fmt.Errorf("link: ConnConfig.WriteTimeout = %v, want > 0", c.WriteTimeout)
	case c.HandshakeTimeout <= 0:
		return fmt.Errorf("link: ConnConfig.HandshakeTimeout = %v, want > 0", c.HandshakeTimeout)
	case c.DefaultMode > ModeOff:
		return fmt.Errorf("link: ConnConfig.DefaultMode = %d, unknown", c.DefaultMode)
	}
	return c.Score.validate()
}

func (s *ScoreConfig) validate() error {
	for name, v := range map[string]float64{
		"DecodePenalty": s.DecodePenalty, "OversizePenalty": s.OversizePenalty,
		"UnknownLanePenalty": s.UnknownLanePenalty, "ProtocolPenalty": s.ProtocolPenalty,
		"FloodPenalty": s.FloodPenalty, "StallPenalty": s.StallPenalty,
	} {
		if v < 0 {
			return fmt.Errorf("link: ScoreConfig.%s = %v, want ≥ 0", name, v)
		}
	}
	switch {
	case s.BanThreshold <= 0:
		return fmt.Errorf("link: ScoreConfig.BanThreshold = %v, want > 0", s.BanThreshold)
	case s.BanDuration <= 0:
		return fmt.Errorf("link: ScoreConfig.BanDuration = %v, want > 0", s.BanDuration)
	case s.HalfLife <= 0:
		return fmt.Errorf("link: ScoreConfig.HalfLife = %v, want > 0", s.HalfLife)
	}
	return nil
}

// Config builds a libp2p Host. The zero value is not valid; start from
// DefaultConfig. Runtime changes go through Host methods (Ban, SetMode),
// never through this struct.
type Config struct {
	// KeyFile holds the node's ed25519 identity (libp2p protobuf encoding).
	// It is created with mode 0600 if missing. Empty means an ephemeral key,
	// for tests and benchmarks only.
	KeyFile string

	// ListenAddrs are multiaddrs to listen on, TCP and/or QUIC-v1, e.g.
	// /ip4/0.0.0.0/tcp/9000 and /ip4/0.0.0.0/udp/9000/quic-v1.
	ListenAddrs []string

	// TCP and QUIC enable the transports. At least one must be on and have
	// a listen address or peers to dial.
	TCP  bool
	QUIC bool

	// QUICBulkListenAddrs, with QUIC and ConnConfig.BulkConn, are extra
	// QUIC listen addresses that carry bulk connections, each on a UDP
	// socket of its own, so that a vote's packets never wait behind block
	// packets in one socket's receive queue (quicbulk.go). nil derives one
	// per QUIC entry of ListenAddrs on the same IP and a random port (set
	// them explicitly behind a firewall); an empty non-nil slice listens
	// on none, as before (peers then dial bulk connections to the link's
	// own address).
	QUICBulkListenAddrs []string

	// Security lists TCP security protocols in preference order: "tls" and/or
	// "noise". QUIC always uses TLS 1.3. TLS is faster with AES-NI.
	Security []string

	// StaticPeers are multiaddrs with a /p2p/<id> suffix that the peer
	// manager keeps connected, reconnecting with backoff. They are also
	// protected from the connection manager and count against no limit.
	StaticPeers []string

	// ProtectedPeers (producers) are never trimmed by the connection manager
	// and are exempt from MaxInbound.
	ProtectedPeers []PeerID

	// MaxInbound and MaxOutbound limit connections by direction, static and
	// protected peers excepted. The connection manager's high watermark is
	// MaxInbound+MaxOutbound and the resource manager's system connection
	// limit is sized above it (see limits.go).
	MaxInbound  int
	MaxOutbound int

	// ReconnectMin and ReconnectMax bound the exponential reconnect backoff
	// for static peers; ReconnectJitter (0..1) randomises each delay by ±that
	// fraction so that restarted peers do not redial in lockstep.
	ReconnectMin    time.Duration
	ReconnectMax    time.Duration
	ReconnectJitter float64

	// MDNS enables local-network discovery with service name MDNSService.
	// Found peers are dialed while below MaxOutbound.
	MDNS        bool
	MDNSService string

	// Conn tunes every link.
	Conn ConnConfig

	// Rand is the randomness for backoff jitter; nil means a source seeded
	// from the OS. Tests inject a seeded source.
	Rand *rand.Rand

	// Logger receives link logs and, routed through slog, libp2p's logs. The
	// zero value is silent.
	Logger zerolog.Logger

	// ReceiveMemory bounds the bytes of large messages (1 MiB and up)
	// this node receives at once over all links: the libp2p resource
	// manager's memory limit for our protocol. Messages reserve it as
	// their bytes arrive (reserve.go); peers that are neither protected
	// nor static may fill four fifths of it, so producers always find the
	// last fifth. 0 means the resource manager's autoscaled system limit
	// (1/8 of the machine's memory + 128 MiB).
	ReceiveMemory int64

	// ChainID names the chain (node/ uses the genesis block id). It is
	// exchanged when a connection opens its lanes; a peer on another
	// chain is refused once with ReasonWrongChain, and a static peer on
	// another chain is redialed only every WrongChainRedial. The zero
	// value is a chain id like any other.
	ChainID [32]byte

	// BanStore, if not nil, keeps bans across restarts: New loads it before
	// the host accepts connections (see BanStore for the contract).
	BanStore BanStore
}

// DefaultConfig listens on TCP and QUIC port 9000 on all IPv4 interfaces.
func DefaultConfig() Config {
	return Config{
		ListenAddrs:     []string{"/ip4/0.0.0.0/tcp/9000", "/ip4/0.0.0.0/udp/9000/quic-v1"},
		TCP:             true,
		QUIC:            true,
		Security:        []string{"tls", "noise"},
		MaxInbound:      64,
		MaxOutbound:     32,
		ReconnectMin:    250 * time.Millisecond,
		ReconnectMax:    30 * time.Second,
		ReconnectJitter: 0.2,
		MDNSService:     "_blockwire._udp",
		Conn:            DefaultConnConfig(),
	}
}

// Validate reports the first invalid field by name and value.
func (c *Config) Validate() error {
	if !c.TCP && !c.QUIC {
		return errors.New("link: Config.TCP and Config.QUIC are both false")
	}
	for _, a := range c.ListenAddrs {
		if _, err := multiaddr.NewMultiaddr(a); err != nil {
			return fmt.Errorf("link: Config.ListenAddrs entry %q: %w", a, err)
		}
	}
	for _, a := range c.QUICBulkListenAddrs {
		m, err := multiaddr.NewMultiaddr(a)
		if err != nil {
			return fmt.Errorf("link: Config.QUICBulkListenAddrs entry %q: %w", a, err)
		}
		if !isQUIC(m) {
			return fmt.Errorf("link: Config.QUICBulkListenAddrs entry %q is not a QUIC-v1 address", a)
		}
	}
	if len(c.Security) == 0 {
		return errors.New("link: Config.Security is empty, want tls and/or noise")
	}
	for _, s := range c.Security {
		if s != "tls" && s != "noise" {
			return fmt.Errorf("link: Config.Security entry %q, want tls or noise", s)
		}
	}
	if _, err := parseStatic(c.StaticPeers); err != nil {
		return err
	}
	switch {
	case c.MaxInbound < 0 || c.MaxOutbound < 0 || c.MaxInbound+c.MaxOutbound < 1:
		return fmt.Errorf("link: Config.MaxInbound = %d, MaxOutbound = %d, want ≥ 0 with a positive sum", c.MaxInbound, c.MaxOutbound)
	case c.ReconnectMin <= 0:
		return fmt.Errorf("link: Config.ReconnectMin = %v, want > 0", c.ReconnectMin)
	case c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("link: Config.ReconnectMax = %v, want ≥ ReconnectMin = %v", c.ReconnectMax, c.ReconnectMin)
	case c.ReconnectJitter < 0 || c.ReconnectJitter >= 1:
		return fmt.Errorf("link: Config.ReconnectJitter = %v, want 0 ≤ j < 1", c.ReconnectJitter)
	case c.ReceiveMemory < 0:
		return fmt.Errorf("link: Config.ReceiveMemory = %d, want ≥ 0", c.ReceiveMemory)
	case c.MDNS && c.MDNSService == "":
		return errors.New("link: Config.MDNSService is empty with MDNS on")
	}
	return c.Conn.Validate()
}
