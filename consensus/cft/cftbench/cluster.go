package cftbench

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
)

// cluster is N producers, each with a loopback libp2p host (TCP, TLS,
// yamux), its own pebble directory (synced writes) and a cft.Engine. The
// block pipeline is a stand-in: a header in a shared map plays the block
// log and dissemination, since what is measured is consensus.
type cluster struct {
	opts    Options
	genesis block.ID
	nodes   []*node

	mu       sync.Mutex
	headers  map[block.ID]block.Header
	produced map[block.ID]time.Time
	// Invariant checks: the committed block at each height, across nodes.
	byHeight   map[uint64]block.ID
	violations []string
	// Latency samples (produce → applied) per block per producer.
	lat []time.Duration
	// firstCommitAfter: commits seen, with the wall time, per term.
	commits []commitRec
}

type commitRec struct {
	at   time.Time
	term uint64
	node int
}

type node struct {
	c     *cluster
	i     int
	key   crypto.PrivKey
	id    peer.ID
	dir   string
	host  host.Host
	db    *pebble.DB
	eng   *cft.Engine
	top   uint64 // highest committed height applied here (under c.mu)
	alive bool
}

func newCluster(opts Options) (*cluster, error) {
	g := block.Header{Height: 1}
	c := &cluster{opts: opts, genesis: g.ID(), headers: map[block.ID]block.Header{g.ID(): g},
		produced: map[block.ID]time.Time{}, byHeight: map[uint64]block.ID{}}
	var servers []raft.Server
	for i := range opts.Producers {
		key, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			return nil, err
		}
		id, _ := peer.IDFromPrivateKey(key)
		n := &node{c: c, i: i, key: key, id: id, dir: filepath.Join(opts.Dir, fmt.Sprintf("p%d", i))}
		c.nodes = append(c.nodes, n)
		addr := cft.ServerAddress(id)
		servers = append(servers, raft.Server{ID: raft.ServerID(addr), Address: addr, Suffrage: raft.Voter})
	}
	for _, n := range c.nodes {
		if err := n.startHost(); err != nil {
			_ = c.close()
			return nil, err
		}
	}
	c.link()
	for _, n := range c.nodes {
		if err := n.startEngine(servers); err != nil {
			_ = c.close()
			return nil, err
		}
	}
	return c, nil
}

func (n *node) startHost() error {
	h, err := libp2p.New(libp2p.Identity(n.key), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport), libp2p.Security(libp2ptls.ID, libp2ptls.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport), libp2p.DisableRelay(), libp2p.DisableMetrics())
	if err != nil {
		return fmt.Errorf("cftbench: host: %w", err)
	}
	n.host = h
	return nil
}

// link puts every live host's addresses into every other's peerstore (the
// link layer's peer manager does this in a node).
func (c *cluster) link() {
	for _, a := range c.nodes {
		for _, b := range c.nodes {
			if a != b && a.host != nil && b.host != nil {
				a.host.Peerstore().AddAddrs(b.id, b.host.Addrs(), peerstore.PermanentAddrTTL)
			}
		}
	}
}

func (n *node) startEngine(bootstrap []raft.Server) error {
	db, err := pebble.Open(n.dir, &pebble.Options{FormatMajorVersion: pebble.FormatNewest, Logger: quietPebble{}})
	if err != nil {
		return fmt.Errorf("cftbench: pebble: %w", err)
	}
	layer, err := newLibp2pLayer(n.host)
	if err != nil {
		_ = db.Close()
		return err
	}
	cfg := cft.DefaultConfig()
	cfg.LocalID = raft.ServerID(cft.ServerAddress(n.id))
	cfg.Genesis = n.c.genesis
	cfg.Bootstrap = bootstrap
	cfg.ProduceInterval = n.c.opts.Interval
	cfg.HeartbeatTimeout, cfg.ElectionTimeout = n.c.opts.Timeout, n.c.opts.Timeout
	cfg.LeaderLeaseTimeout = n.c.opts.Timeout / 2
	cfg.CommitTimeout = n.c.opts.CommitTimeout
	cfg.Logger = n.c.opts.Logger.With().Int("node", n.i).Logger()
	eng, err := cft.New(cfg, cft.Deps{DB: db, Stream: layer, Producer: n, Applier: n})
	if err != nil {
		_ = db.Close()
		return err
	}
	n.db, n.eng, n.alive = db, eng, true
	return nil
}

// Produce builds a header on the parent and records when.
func (n *node) Produce(_ context.Context, req cft.ProduceRequest) (cft.Produced, error) {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	parent, ok := c.headers[req.Parent]
	if !ok {
		return cft.Produced{}, errors.New("cftbench: unknown parent")
	}
	var pk block.PublicKey
	copy(pk[:], n.id)
	h := block.Header{Height: parent.Height + 1, Parent: req.Parent, Term: req.Term, Producer: pk,
		Timestamp: time.Now().UnixNano(), Irreversible: req.Irreversible}
	id := h.ID()
	c.headers[id] = h
	c.produced[id] = time.Now()
	return cft.Produced{ID: id, HeaderHash: sha256.Sum256(h.AppendCanonical(nil))}, nil
}

// Commit records latency and checks agreement across nodes.
func (n *node) Commit(cm cft.Commit) {
	now := time.Now()
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	h := cm.ID.Height()
	if h <= n.top {
		return // replay after a restart
	}
	n.top = h
	if other, ok := c.byHeight[h]; ok && other != cm.ID {
		c.violations = append(c.violations, fmt.Sprintf("node %d committed %s at height %d, another node %s", n.i, cm.ID, h, other))
	}
	c.byHeight[h] = cm.ID
	if cm.Snapshot {
		return
	}
	if at, ok := c.produced[cm.ID]; ok {
		c.lat = append(c.lat, now.Sub(at))
	}
	c.commits = append(c.commits, commitRec{at: now, term: cm.Term, node: n.i})
}

// kill crashes a node: its host goes first (the network sees a dead peer),
// then the engine stops without handing leadership over.
func (n *node) kill() error {
	n.alive = false
	err := n.host.Close()
	return errors.Join(err, n.eng.Abort(), n.db.Close())
}

// stop shuts a node down the planned way: the engine first (it hands
// leadership over), then pebble, then the host.
func (n *node) stop() error {
	n.alive = false
	err := n.eng.Close()
	return errors.Join(err, n.db.Close(), n.host.Close())
}

// restart brings a killed node back from its pebble directory with the same
// identity on a new port.
func (n *node) restart() error {
	if err := n.startHost(); err != nil {
		return err
	}
	// Register the raft protocol before the others learn the new address,
	// so their first dials do not fail and back off.
	if err := n.startEngine(nil); err != nil {
		return err
	}
	n.c.link()
	return nil
}

func (c *cluster) leader() *node {
	for _, n := range c.nodes {
		if n.alive && n.eng.Status().Producing {
			return n
		}
	}
	return nil
}

// waitLeader waits for a producing leader.
func (c *cluster) waitLeader(ctx context.Context) (*node, error) {
	for {
		if n := c.leader(); n != nil {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cftbench: no leader: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// waitTop waits until every live node applied height h.
func (c *cluster) waitTop(ctx context.Context, h uint64) error {
	for {
		c.mu.Lock()
		ok := true
		for _, n := range c.nodes {
			ok = ok && (!n.alive || n.top >= h)
		}
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cftbench: waiting for height %d: %w", h, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

func (c *cluster) maxTop() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var top uint64
	for _, n := range c.nodes {
		top = max(top, n.top)
	}
	return top
}

// close stops everything: engines (with hand-off), then pebble, then hosts.
func (c *cluster) close() error {
	var errs []error
	for _, n := range c.nodes {
		if n.alive && n.eng != nil {
			errs = append(errs, n.eng.Close(), n.db.Close())
		}
	}
	for _, n := range c.nodes {
		if n.alive && n.host != nil {
			errs = append(errs, n.host.Close())
		}
		n.alive = false
	}
	return errors.Join(errs...)
}

type quietPebble struct{}

func (quietPebble) Infof(string, ...any)      {}
func (quietPebble) Errorf(string, ...any)     {}
func (quietPebble) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// term is the highest raft term among live nodes.
func (c *cluster) term() uint64 {
	var t uint64
	for _, n := range c.nodes {
		if n.alive {
			t = max(t, n.eng.Status().Term)
		}
	}
	return t
}
