package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attestrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/engine"
	"github.com/blockwire/blockwire/consensus/prodapp"
	"github.com/blockwire/blockwire/internal/fanout"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/pexnet"
	"github.com/blockwire/blockwire/node/producers"
	"github.com/blockwire/blockwire/node/status"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcastrun"
	"github.com/blockwire/blockwire/transport/rbcrun"
	"github.com/blockwire/blockwire/transport/route"
)

// Node is one blockwire node: a link network, a blocksync Conn per link,
// consensus (a CFT engine on producers, or solo), the chain on one pebble
// database, a mempool, and the loop goroutine that drives them.
//
// Create it with New, then Start, then Stop. Its methods are safe for
// concurrent use.
type Node struct {
	cfg     Config
	o       options
	logs    *Logs // non-nil when New opened them (closed by Stop)
	log     zerolog.Logger
	syncLog zerolog.Logger
	consLog zerolog.Logger

	genesis *Genesis
	key     crypto.PrivKey
	signer  ed25519.PrivateKey
	pub     block.PublicKey
	id      link.PeerID
	// genesisSet is the genesis producer set; set is the one in force at
	// the irreversible block (prodset.go), replaced by the loop.
	genesisSet *producers.View
	set        atomic.Pointer[producers.View]
	// changeNonce is the nonce of the last producer-set change applied at
	// the irreversible block (prodset.NonceKey), set with set.
	changeNonce atomic.Uint64
	// app wraps the chain's App with the producer-set rules (prodapp).
	app  *prodapp.App
	solo bool // solo engine and this node is its producer
	// producer: role producer with a key in the producer set, or a node
	// the producer set took in later; cleared when a change removes it.
	producer atomic.Bool
	// eng is the consensus engine (engine.go): an idle engine.Solo until
	// Start builds the configured one.
	eng engine.Engine

	db    *pebble.DB
	chain *chain.Chain // owned by the loop goroutine once started
	net   link.Network
	// netA is net for the transport's goroutines (it may penalize a peer
	// while Start assigns net).
	netA atomic.Pointer[link.Network]
	// tr routes transactions to the leader and their answers back
	// (routing.go); rid is our routing id.
	tr  *transport.Transport
	rid route.NodeID
	// retired are the routing ids of producers the last change removed:
	// still admitted as destinations until the next change, so that raft
	// can reach a removed producer with the configuration that removes it
	// (else it never learns, campaigns, and its refused votes cost it its
	// links). Its own routes go when it stops its engine (routable).
	retired atomic.Pointer[map[route.NodeID]bool]
	bc      *broadcastrun.Driver // the messaging API's driver (broadcast.go)

	rbc atomic.Pointer[rbcrun.Runner] // reliable broadcast (rbc.go)

	att *attestrun.Runner // attestation (attest.go); nil when off

	// closed is set before the database closes (Block guards on it).
	closed atomic.Bool

	// in carries link events and requests into the loop. Its buffer
	// absorbs bursts from many lanes' reader goroutines; a full buffer
	// back-pressures the sending lane (link.Handler's contract).
	in      chan input
	quit    chan struct{} // closed when the loop exits or Start fails
	done    chan struct{} // closed after the loop goroutine returned
	stopCtx context.Context
	cancel  context.CancelFunc

	started  atomic.Bool
	bg       sync.WaitGroup // background goroutines other than the loop
	stopOnce sync.Once
	stopErr  error

	events fanout.Hub[Event] // the node's events to subscribers (Subscribe)
	stats  counters
	prop   status.Arrivals               // per-block copies and first arrival (status.Arrivals)
	gossip *gossipRelay                  // p2p.relay gossipsub only (gossip.go); set before the loop runs
	disc   atomic.Pointer[pexnet.Driver] // peer discovery (discovery.go); nil when off
	// head and irr mirror the chain for lock-free reads (Status when the
	// loop is busy).
	head, irr atomic.Pointer[block.SignedHeader]

	lp *loopState // the loop's own state; touched only by the loop goroutine
}

// New assembles a node from cfg: it loads the genesis and node key, opens
// logging (unless WithLogger or WithLogs), opens the pebble database and
// the chain. Nothing touches the network until Start. On error everything
// opened is closed again.
func New(cfg Config, opts ...Option) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	// Producer-set change transactions pass Submit's check (prodset.go).
	o.validate = prodapp.Validator(o.validate)
	if !o.limitsSet {
		o.limits.SubmitAckTimeout = cfg.Consensus.SubmitAckTimeout.Duration
	}
	if err := o.limits.validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, o: o, quit: make(chan struct{}), done: make(chan struct{}),
		in: make(chan input, 1024)}
	n.stats.rejected = map[string]uint64{}
	if err := n.open(); err != nil {
		_ = n.closeStorage()
		return nil, err
	}
	if err := n.newBroadcast(); err != nil {
		_ = n.closeStorage()
		return nil, err
	}
	return n, nil
}

func (n *Node) open() error {
	if err := n.openLogs(); err != nil {
		return err
	}
	if err := n.loadIdentity(); err != nil {
		return err
	}
	dbCfg := chain.DefaultDBConfig()
	dbCfg.FS = n.o.fs
	dbCfg.Logger = n.bare("chain") // pebble tags its own lines
	db, err := chain.OpenDB(n.cfg.Path(n.cfg.Node.DataDir), dbCfg)
	if err != nil {
		return err
	}
	n.db = db
	chCfg := chain.DefaultConfig()
	chCfg.Logger = n.component("chain")
	chCfg.Limits = n.blockLimits()
	n.app = prodapp.New(n.o.app, n.genesisSet.Set(), n.genesis.ID(), producers.PolicyFor(n.o.app, n.o.policy), n.o.kvLimits)
	c, err := chain.Open(db, n.app, n.genesis.GenesisBlock(), chCfg)
	if err != nil {
		return fmt.Errorf("node: opening chain in %s: %w", n.cfg.Path(n.cfg.Node.DataDir), err)
	}
	n.chain = c
	// The set in force at the irreversible block (changes made earlier).
	set, nonce, err := producers.ReadInForce(c.IrreversibleState(), n.genesisSet)
	if err != nil {
		return err
	}
	n.set.Store(set)
	n.changeNonce.Store(nonce)
	n.settleRole(set)
	n.eng = &engine.Solo{}
	n.publishChain()
	return nil
}

// settleRole fixes the node's effective role from the producer set in
// force at its irreversible block: it is a producer exactly when its key
// is in that set, whatever node.role says — a node a change added stays a
// producer across restarts, one a change removed restarts as a full node
// (no raft engine, no stale membership). node.role states the operator's
// expectation; a mismatch is logged, and refreshProducers follows later
// changes.
func (n *Node) settleRole(set *producers.View) {
	in := set.Has(n.id)
	n.producer.Store(in)
	if n.cfg.Consensus.Engine == EngineSolo {
		n.solo = in
	}
	switch {
	case in && n.cfg.Node.Role == RoleFull:
		n.log.Info().Str("peer_id", n.id.String()).Msg("node.role is \"full\" but this key is in the producer set in force: running as a producer")
	case !in && n.cfg.Node.Role == RoleProducer:
		n.log.Warn().Str("peer_id", n.id.String()).Msg("node.role is \"producer\" but this key is not in the producer set in force: running as a full node until a change adds it")
	}
}

// Role is the node's effective role: RoleProducer while its key is in the
// producer set in force, else RoleFull (see settleRole).
func (n *Node) Role() Role {
	if n.producer.Load() || n.solo {
		return RoleProducer
	}
	return RoleFull
}

func (n *Node) openLogs() error {
	switch {
	case n.o.logger != nil:
	case n.o.logs != nil:
	default:
		file := ""
		if n.cfg.Log.File != "" {
			file = n.cfg.Path(n.cfg.Log.File)
		}
		logs, err := OpenLogs(n.cfg.Log, file, os.Stderr)
		if err != nil {
			return err
		}
		n.logs = logs
		n.o.logs = logs
	}
	n.log = n.component("node")
	n.syncLog = n.component("blocksync")
	n.consLog = n.component("consensus")
	return nil
}

// bare returns a logger at a component's level without the component
// field (logs.Logs.Bare).
func (n *Node) bare(name string) zerolog.Logger {
	if n.o.logger != nil {
		return *n.o.logger
	}
	return n.o.logs.Bare(name)
}

// component returns a component's logger.
func (n *Node) component(name string) zerolog.Logger {
	if n.o.logger != nil {
		return n.o.logger.With().Str("component", name).Logger()
	}
	return n.o.logs.Component(name)
}

func (n *Node) loadIdentity() error {
	g, file := n.o.genesis, ""
	if g == nil {
		var err error
		file = n.cfg.Path(n.cfg.Node.GenesisFile)
		if g, err = LoadGenesis(file); err != nil {
			return err
		}
	} else if err := g.Validate(); err != nil {
		return err
	}
	if err := g.CheckEngine(n.cfg.Consensus.Engine, file); err != nil {
		return err
	}
	n.genesis = g
	key := n.o.key
	if key == nil {
		var err error
		if key, err = link.LoadOrCreateKey(n.cfg.Path(n.cfg.Node.KeyFile)); err != nil {
			return err
		}
	}
	if key.Type() != crypto.Ed25519 {
		return fmt.Errorf("node: node key is %v, want ed25519", key.Type())
	}
	raw, err := key.Raw()
	if err != nil {
		return fmt.Errorf("node: node key: %w", err)
	}
	n.key, n.signer = key, ed25519.PrivateKey(raw)
	copy(n.pub[:], n.signer.Public().(ed25519.PublicKey))
	if n.id, err = peer.IDFromPrivateKey(key); err != nil {
		return fmt.Errorf("node: peer id: %w", err)
	}
	keys, peers := g.ProducerSet()
	if n.genesisSet, err = producers.Genesis(keys, peers); err != nil {
		return err
	}
	n.set.Store(n.genesisSet)
	if n.cfg.Consensus.Engine == EngineSolo && len(keys) != 1 {
		return fmt.Errorf("node: consensus.engine = solo needs exactly one genesis producer, the genesis has %d", len(keys))
	}
	return nil
}

// ID returns the node's peer id.
func (n *Node) ID() link.PeerID { return n.id }

// PublicKey returns the node's block-signing key.
func (n *Node) PublicKey() block.PublicKey { return n.pub }

// Genesis returns the chain's genesis.
func (n *Node) Genesis() *Genesis { return n.genesis }

// Network returns the link network (nil before Start): for the admin API's
// ban and connect controls and the host's listen addresses (*link.Host).
func (n *Node) Network() link.Network { return n.net }

// Start connects the node: it builds the link network (a libp2p host from
// the config unless WithNetwork), starts the loop goroutine, and on a CFT
// producer starts the raft engine over the routed transport's consensus
// class. ctx bounds the start only; use Stop to stop.
func (n *Node) Start(ctx context.Context) error {
	if !n.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	if n.chain == nil {
		return ErrStopped
	}
	n.stopCtx, n.cancel = context.WithCancel(context.Background())
	n.lp = newLoopState(n)
	tr, err := n.newTransport()
	if err != nil {
		close(n.quit)
		close(n.done)
		return err
	}
	n.tr, n.rid = tr, tr.ID()
	n.eng = n.newEngine()
	_ = n.bc.Start(tr)
	nw, err := n.buildNetwork()
	if err != nil {
		_ = tr.Close()
		close(n.quit)
		close(n.done)
		return err
	}
	n.net = nw
	n.netA.Store(&nw)
	if err := n.startGossip(nw); err != nil {
		n.cancel()
		_ = nw.Close()
		_ = tr.Close()
		close(n.quit)
		close(n.done)
		return err
	}
	go n.run()
	if err := n.startDiscovery(nw); err != nil {
		_ = n.Stop()
		return err
	}
	if err := n.startRBC(); err != nil {
		_ = n.Stop()
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = n.Stop()
		return err
	}
	if err := n.startAttest(); err != nil {
		_ = n.Stop()
		return err
	}
	if n.producer.Load() && !n.solo {
		if err := n.startEngine(nil); err != nil {
			_ = n.Stop()
			return err
		}
	}
	if _, ok := nw.(*link.Host); !ok {
		n.bg.Go(n.dialStatic)
	}
	head, irr := n.Head()
	n.log.Info().Str("peer_id", n.id.String()).Str("role", string(n.Role())).
		Str("engine", string(n.cfg.Consensus.Engine)).Stringer("head", head.ID).
		Stringer("irreversible", irr.ID).Msg("node started")
	return nil
}

func (n *Node) buildNetwork() (link.Network, error) {
	bans := banStore{db: n.db, log: n.log}
	if n.o.netFactory != nil {
		nw, err := n.o.netFactory(n.id, n.key, n, n.bare("link"))
		if err != nil {
			return nil, err
		}
		// A libp2p host built by the factory is not given the store before
		// it listens; the in-memory one does not listen.
		if u, ok := nw.(banStoreUser); ok {
			if err := u.UseBanStore(bans); err != nil {
				_ = nw.Close()
				return nil, err
			}
		}
		// Producers of the set in force are protected (never banned by
		// scoring, floods shed not charged); refreshProducers follows changes.
		if pr, ok := nw.(interface{ SetProtected(link.PeerID, bool) }); ok {
			for _, p := range n.set.Load().Peers() {
				if p != n.id {
					pr.SetProtected(p, true)
				}
			}
		}
		return nw, nil
	}
	lc, err := n.cfg.LinkConfig()
	if err != nil {
		return nil, err
	}
	if n.o.connCfg != nil {
		lc.Conn = *n.o.connCfg
	}
	lc.Logger = n.bare("link")
	lc.BanStore = bans
	lc.ChainID = n.genesis.ID() // peers on another chain are refused at lane setup
	for _, p := range n.set.Load().Peers() {
		if p != n.id {
			lc.ProtectedPeers = append(lc.ProtectedPeers, p)
		}
	}
	return newHostWithKey(lc, n.key, n)
}

// banStoreUser is a network that keeps its bans in a link.BanStore
// (*link.Host and *link.MemHost).
type banStoreUser interface {
	UseBanStore(s link.BanStore) error
}

// Stop shuts the node down in the order that keeps every component's
// contract: the consensus engine first (it hands leadership to another
// producer, then shuts raft down, while the loop still answers its
// Producer and Applier), then the loop (pending submits fail with
// ErrStopped), then the links, then pebble, then the log file. It is safe
// to call more than once and before Start.
func (n *Node) Stop() error { return n.stop(true) }

// Kill stops the node like a crash would look to its peers: no leadership
// hand-off. Tests use it to kill a leader; storage is still closed cleanly.
func (n *Node) Kill() error { return n.stop(false) }

func (n *Node) stop(handoff bool) error {
	n.stopOnce.Do(func() {
		var errs []error
		if n.eng != nil {
			if err := n.eng.Stop(handoff); err != nil {
				errs = append(errs, fmt.Errorf("node: %w", err))
			}
		}
		n.stopDiscovery()
		if n.started.Load() && n.cancel != nil {
			n.cancel()
			<-n.done
			n.bg.Wait()
		}
		n.stopRBC()

		n.stopAttest()
		if n.net != nil {
			if err := n.net.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		_ = n.bc.Close()
		if n.tr != nil {
			_ = n.tr.Close()
		}
		n.events.Close()
		errs = append(errs, n.closeStorage())
		n.stopErr = errors.Join(errs...)
		n.log.Info().Err(n.stopErr).Msg("node stopped")
	})
	return n.stopErr
}

func (n *Node) closeStorage() error {
	n.closed.Store(true)
	var err error
	if n.db != nil {
		err = n.db.Close()
		n.db = nil
	}
	if n.logs != nil {
		_ = n.logs.Close()
		n.logs = nil
	}
	return err
}

var (
	_ blocksync.Chain = (*chain.SyncView)(nil)
	// raft rides the routed transport (startEngine).
	_ cft.Messenger = (*transport.Messenger)(nil)
)
