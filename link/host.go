package link

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	tls "github.com/libp2p/go-libp2p/p2p/security/tls"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"github.com/multiformats/go-multiaddr"
)

// ErrConnLimit: Connect refused because MaxOutbound links are up.
var ErrConnLimit = errors.New("link: outbound connection limit reached")

// Host is a node's libp2p host with the link layer on top. It implements
// Network. Create it with New and stop it with Close.
type Host struct {
	*hub
	cfg       Config
	h         host.Host
	ready     atomic.Bool // h is set; the gater may use it
	cm        *connmgr.BasicConnMgr
	limits    connLimits
	static    []peer.AddrInfo
	alwaysMu  sync.RWMutex
	always    map[PeerID]bool // static and protected peers: exempt from limits
	ctx       context.Context
	cancel    context.CancelFunc
	loops     sync.WaitGroup
	randMu    sync.Mutex
	rnd       *mrand.Rand
	mdns      mdns.Service
	pendingMu sync.Mutex
	pending   map[pendKey]*pendingConn
	// setups tracks the lane setup goroutine of every new connection, so
	// Close waits for them; setupsClosed (under pendingMu) stops new ones.
	setups       sync.WaitGroup
	setupsClosed bool
	closeOnce    sync.Once
	closeErr     error
	// bulkDialer dials bulk connections (bulkconn.go); nil means the
	// swarm. Tests set it, before the first connection, to fail the dial.
	bulkDialer dialer
	// quicBulk dials QUIC bulk connections from a socket of their own
	// (quicbulk.go); nil without QUIC or BulkConn.
	quicBulk *quicBulk
}

var _ Network = (*Host)(nil)

// New builds and starts a host: loads or creates the identity, listens,
// and starts the peer manager. h receives link events; it may be nil.
func New(cfg Config, h Handler) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, err := hostKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("link: peer id: %w", err)
	}
	static, _ := parseStatic(cfg.StaticPeers) // validated above
	hst := &Host{
		cfg: cfg, static: static, always: map[PeerID]bool{},
		pending: map[pendKey]*pendingConn{},
		rnd:     cfg.Rand,
	}
	if hst.rnd == nil {
		var seed [16]byte
		_, _ = rand.Read(seed[:])
		hst.rnd = mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	for _, s := range static {
		hst.always[s.ID] = true
	}
	for _, p := range cfg.ProtectedPeers {
		hst.always[p] = true
	}
	log := cfg.Logger.With().Str("component", "link").Str("self", id.String()).Logger()
	hst.hub = newHub(id, cfg.Conn, h, log)
	for _, s := range static {
		hst.setProtected(s.ID, protStatic)
	}
	for _, p := range cfg.ProtectedPeers {
		hst.setProtected(p, protProducer)
	}
	// Bans are in force before the host accepts anything; onBan is not set
	// yet, as there are no connections to drop.
	if err := hst.UseBanStore(cfg.BanStore); err != nil {
		return nil, err
	}
	hst.onBan = hst.closePeer
	hst.hasConn = func(p PeerID) bool { return hst.h.Network().Connectedness(p) == network.Connected }
	libp2pSinks.add(hst, cfg.Logger)
	if err := hst.start(key); err != nil {
		libp2pSinks.remove(hst)
		return nil, err
	}
	return hst, nil
}

func hostKey(path string) (crypto.PrivKey, error) {
	if path == "" {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		return k, err
	}
	return LoadOrCreateKey(path)
}

func (hst *Host) start(key crypto.PrivKey) error {
	hst.limits = newConnLimits(&hst.cfg, len(hst.always))
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(hst.limits.rcmgr))
	if err != nil {
		return fmt.Errorf("link: resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(hst.limits.low, hst.limits.high)
	if err != nil {
		_ = rm.Close()
		return fmt.Errorf("link: connection manager: %w", err)
	}
	hst.cm = cm
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(hst.cfg.ListenAddrs...),
		// yamux's own stream window (256 KiB, grown by yamux itself) is
		// kept: a larger initial window (branch yamux14: twice the bulk
		// window) measured neutral for the lanes, whose readers always
		// drain the stream (same reads and writes per MiB, CPU per MiB
		// within noise; docs/benchmarks.md, issue 14 session 11), and
		// it applies to every stream of the host while yamux reserves
		// only 256 KiB of it with the resource manager.
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.ConnectionGater(&gater{h: hst}),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(), // no global Prometheus registry; node/ exports our Stats
		libp2p.UserAgent("blockwire"),
	}
	if hst.cfg.TCP {
		// No SO_REUSEPORT: with it, two peers dialing each other at the
		// same moment connect listen port to listen port, TCP merges the
		// two SYNs into one connection (a simultaneous open), both ends
		// act as the TLS/Noise initiator and both dials fail. We use no
		// hole punching, the one thing reuse buys.
		opts = append(opts, libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()))
	}
	if hst.cfg.QUIC {
		opts = append(opts, libp2p.Transport(quic.NewTransport))
	}
	for _, s := range hst.cfg.Security {
		if s == "tls" {
			opts = append(opts, libp2p.Security(tls.ID, tls.New))
		} else {
			opts = append(opts, libp2p.Security(noise.ID, noise.New))
		}
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		_ = cm.Close()
		_ = rm.Close()
		return fmt.Errorf("link: libp2p host: %w", err)
	}
	hst.h = h
	if err := hst.startQUICBulk(key, rm); err != nil {
		_ = h.Close()
		_ = cm.Close()
		return err
	}
	hst.ready.Store(true)
	hst.ctx, hst.cancel = context.WithCancel(context.Background())
	for p := range hst.always {
		cm.Protect(p, "blockwire")
	}
	h.SetStreamHandler(ProtocolID, hst.handleStream)
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF:    func(_ network.Network, c network.Conn) { hst.goSetup(c) },
		DisconnectedF: func(_ network.Network, c network.Conn) { hst.disconnected(c) },
	})
	for _, s := range hst.static {
		if why := undialable(s); why != "" {
			hst.log.Warn().Str("peer", s.ID.String()).Str("reason", why).Msg("static peer cannot be dialled")
		}
		h.Peerstore().AddAddrs(s.ID, s.Addrs, peerstore.PermanentAddrTTL)
		hst.loops.Add(1)
		go hst.keepConnected(s)
	}
	if hst.cfg.MDNS {
		hst.mdns = mdns.NewMdnsService(h, hst.cfg.MDNSService, mdnsNotifee{hst})
		if err := hst.mdns.Start(); err != nil {
			_ = hst.Close()
			return fmt.Errorf("link: mdns: %w", err)
		}
	}
	hst.log.Info().Strs("addrs", multiaddrStrings(h.Addrs())).Msg("link host listening")
	return nil
}

func multiaddrStrings(as []multiaddr.Multiaddr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// ID is the node's identity.
func (hst *Host) ID() PeerID { return hst.local }

// AddrInfo is the host's id with its listen addresses, for peers to dial.
func (hst *Host) AddrInfo() peer.AddrInfo {
	return peer.AddrInfo{ID: hst.local, Addrs: hst.h.Addrs()}
}

// Libp2p exposes the underlying host for protocols that run beside the
// lanes (consensus/cft's raft stream layer). Do not close it; use Close.
func (hst *Host) Libp2p() host.Host { return hst.h }

// Connect dials info (addresses are remembered for later dials) and waits
// for the link. Peers that are neither static nor protected count against
// MaxOutbound.
func (hst *Host) Connect(ctx context.Context, info peer.AddrInfo) (Link, error) {
	if l := hst.Link(info.ID); l != nil {
		return l, nil
	}
	if info.ID == hst.local {
		return nil, errors.New("link: connect to self")
	}
	if hst.isBanned(info.ID) {
		return nil, fmt.Errorf("%w: %s", ErrBanned, info.ID)
	}
	if !hst.exempt(info.ID) && hst.count(network.DirOutbound) >= hst.cfg.MaxOutbound {
		return nil, ErrConnLimit
	}
	if len(info.Addrs) > 0 {
		hst.h.Peerstore().AddAddrs(info.ID, info.Addrs, peerstore.AddressTTL)
	}
	// Our own backoff governs redials; skip the swarm's dial backoff, which
	// would otherwise delay reconnecting to a restarted peer.
	dctx := network.WithForceDirectDial(ctx, "blockwire link")
	if err := hst.h.Connect(dctx, peer.AddrInfo{ID: info.ID}); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrNoLink, info.ID, err)
	}
	alive := func() bool { return hst.h.Network().Connectedness(info.ID) == network.Connected }
	l, err := hst.waitLink(ctx, info.ID, alive)
	if err != nil && hst.lastReason(info.ID) == ReasonWrongChain {
		hst.mu.Lock()
		why := hst.records[info.ID].err
		hst.mu.Unlock()
		return nil, fmt.Errorf("%w %s: %s", ErrNoLink, info.ID, why)
	}
	return l, err
}

// count returns the peers, neither static nor protected, with a
// connection in direction d: peers, not connections, since a link may
// hold two (its bulk connection, bulkconn.go).
func (hst *Host) count(d network.Direction) int {
	seen := map[PeerID]bool{}
	for _, c := range hst.h.Network().Conns() {
		if p := c.RemotePeer(); c.Stat().Direction == d && !hst.exempt(p) {
			seen[p] = true
		}
	}
	return len(seen)
}

// exempt reports whether p is a static or protected peer.
func (hst *Host) exempt(p PeerID) bool {
	hst.alwaysMu.RLock()
	defer hst.alwaysMu.RUnlock()
	return hst.always[p]
}

// SetProtected protects p (a producer) from the connection manager,
// the MaxInbound/MaxOutbound limits and bans by scoring (protect.go), or
// lifts that protection. Use it when
// the producer set changes; Config.ProtectedPeers is the initial set.
// Static peers stay protected.
func (hst *Host) SetProtected(p PeerID, on bool) {
	hst.alwaysMu.Lock()
	defer hst.alwaysMu.Unlock()
	if on {
		hst.always[p] = true
		hst.cm.Protect(p, "blockwire")
		hst.setProtected(p, protProducer)
		return
	}
	if slices.ContainsFunc(hst.static, func(s peer.AddrInfo) bool { return s.ID == p }) {
		hst.setProtected(p, protStatic) // a former producer stays static
		return
	}
	delete(hst.always, p)
	hst.setProtected(p, 0)
	hst.cm.Unprotect(p, "blockwire")
}

// goSetup runs connected for a new connection on a tracked goroutine
// (libp2p's notifiee must not block), unless the host is closing.
func (hst *Host) goSetup(c network.Conn) {
	hst.pendingMu.Lock()
	defer hst.pendingMu.Unlock()
	if hst.setupsClosed {
		return
	}
	hst.setups.Go(func() { hst.connected(c) })
}

// closePeer drops every connection to a banned peer.
func (hst *Host) closePeer(p PeerID) {
	if hst.h != nil {
		_ = hst.h.Network().ClosePeer(p)
	}
}

// Close ends all links (telling peers ReasonHostClosed), stops the peer
// manager and closes the libp2p host. It is safe to call more than once.
func (hst *Host) Close() error {
	hst.closeOnce.Do(func() {
		hst.cancel()
		hst.pendingMu.Lock()
		hst.setupsClosed = true
		hst.pendingMu.Unlock()
		hst.setups.Wait()
		if hst.mdns != nil {
			_ = hst.mdns.Close()
		}
		hst.loops.Wait()
		hst.hub.close() //nolint:staticcheck // QF1008: the hub's close, not the Host's; the selector says which
		err := hst.h.Close()
		if hst.quicBulk != nil {
			hst.quicBulk.close()
		}
		_ = hst.cm.Close()
		libp2pSinks.remove(hst)
		if err != nil {
			hst.closeErr = fmt.Errorf("link: close host: %w", err)
		}
	})
	return hst.closeErr
}

// jitteredDelay draws a reconnect delay for the attempt.
func (hst *Host) jitteredDelay(attempt int) time.Duration {
	b := backoff{min: hst.cfg.ReconnectMin, max: hst.cfg.ReconnectMax, jitter: hst.cfg.ReconnectJitter}
	hst.randMu.Lock()
	defer hst.randMu.Unlock()
	return b.delay(attempt, hst.rnd)
}
