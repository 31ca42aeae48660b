package bftrun

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftstore"
	"github.com/blockwire/blockwire/consensus/prodset"
)

// cluster runs producers' Runners on a MemNetwork with the production
// store (bftstore on pebble, on a crashable in-memory file system). Every
// block produced goes into one registry, which stands for what a node's
// blocksync would fetch; the checkers compare nodes.
type cluster struct {
	t        testing.TB
	net      *MemNetwork
	chainID  block.Hash
	genesis  *block.Block
	keys     []ed25519.PrivateKey
	nodes    []*tnode
	reg      *registry
	chk      *checker
	refMu    sync.Mutex
	refusals map[string]int // penalized refusals by reason, all nodes
	// change is a producer-set change transaction producers put in their
	// blocks until one of their ancestors holds it.
	change atomic.Pointer[[]byte]
}

type tnode struct {
	c     *cluster
	i     int
	key   ed25519.PrivateKey
	pub   block.PublicKey
	id    peer.ID
	fs    *vfs.MemFS
	db    *pebble.DB
	store *recStore
	r     *Runner
	// live is r for other nodes' goroutines (block delivery).
	live atomic.Pointer[Runner]

	// hostile: the test sends as this node (the checkers skip it).
	hostile atomic.Bool
	// onPropose, when set, is closed as the node's next proposal leaves.
	onPropose atomic.Pointer[chan struct{}]

	mu     sync.Mutex
	blocks map[block.ID]bool // stored locally (own and proposed blocks)
	// produced counts blocks built (run goroutine only).
	produced int64
	final    block.ID
}

func testKey(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	return ed25519.NewKeyFromSeed(seed)
}

func pubOf(k ed25519.PrivateKey) block.PublicKey {
	var p block.PublicKey
	copy(p[:], k.Public().(ed25519.PublicKey))
	return p
}

// newCluster makes keys for total producers, of which the first n form the
// genesis set, and starts those n.
func newCluster(t testing.TB, n, total int, seed uint64) *cluster {
	t.Helper()
	c := &cluster{t: t, net: NewMemNetwork(seed, 10*time.Millisecond), reg: newRegistry(), chk: newChecker(t)}
	c.chainID[0] = 0xbf
	for i := range total {
		c.keys = append(c.keys, testKey(i))
	}
	g, err := block.Seal(block.Header{Height: 1}, nil, nil, c.keys[0])
	require.NoError(t, err)
	c.genesis = g
	c.reg.put(g)
	var genesisKeys []block.PublicKey
	for i := range n {
		genesisKeys = append(genesisKeys, pubOf(c.keys[i]))
	}
	c.reg.genesisSet = genesisKeys
	c.net.SetHook(c.chk.onSend)
	for i := range total {
		nd := &tnode{c: c, i: i, key: c.keys[i], pub: pubOf(c.keys[i]), fs: vfs.NewCrashableMem(), blocks: map[block.ID]bool{g.ID(): true}, final: g.ID()}
		nd.id = peerOf(nd.pub)
		c.chk.nodes[nd.id] = nd
		c.nodes = append(c.nodes, nd)
	}
	for i := range n {
		c.start(i)
	}
	t.Cleanup(c.stopAll)
	return c
}

func (c *cluster) config(nd *tnode) Config {
	cfg := DefaultConfig(c.chainID, nd.key, bft.Root{ID: c.genesis.ID()}, c.reg.genesisSet)
	cfg.Engine.LeaderTimeout = 200 * time.Millisecond
	cfg.Engine.AdvanceTimeout = 400 * time.Millisecond
	cfg.Engine.RetryInterval = 200 * time.Millisecond
	return cfg
}

// start (re)starts node i's runner on its file system.
func (c *cluster) start(i int) {
	c.t.Helper()
	c.startWith(i, bft.Root{ID: c.genesis.ID()}, c.reg.genesisSet, nil)
}

// startWith starts node i's runner from root with producers in force.
func (c *cluster) startWith(i int, root bft.Root, producers, prev []block.PublicKey) {
	c.t.Helper()
	nd := c.nodes[i]
	if nd.db == nil {
		dcfg := chain.DefaultDBConfig()
		dcfg.MemTableSize, dcfg.CacheSize, dcfg.FS = 1<<20, 1<<20, nd.fs
		db, err := chain.OpenDB("db", dcfg)
		require.NoError(c.t, err)
		nd.db = db
		if nd.store == nil {
			nd.store = &recStore{durable: map[string]bool{}}
		}
		nd.store.Store = bftstore.New(db)
	}
	cfg := c.config(nd)
	cfg.Root, cfg.Producers, cfg.Prev = root, producers, prev
	r, err := New(cfg, Deps{Store: nd.store, Messenger: c.net.Messenger(nd.id), Producer: nd, Applier: nd, Blocks: nd, Sets: c.reg,
		Refused: c.onRefused})
	require.NoError(c.t, err)
	nd.r = r
	nd.live.Store(r)
}

// crash stops node i as a process crash would: its messenger goes at once
// and only what pebble synced survives (a crash clone of its file system).
func (c *cluster) crash(i int) {
	nd := c.nodes[i]
	c.net.Detach(nd.id)
	if nd.r != nil {
		nd.live.Store(nil)
		nd.r.Stop()
		nd.r = nil
	}
	clone := nd.fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	require.NoError(c.t, nd.db.Close())
	nd.fs, nd.db = clone, nil
}

func (c *cluster) onRefused(_ peer.ID, reason string, _ error) {
	c.refMu.Lock()
	defer c.refMu.Unlock()
	if c.refusals == nil {
		c.refusals = map[string]int{}
	}
	c.refusals[reason]++
}

func (c *cluster) refusedBy(reason string) int {
	c.refMu.Lock()
	defer c.refMu.Unlock()
	return c.refusals[reason]
}

func (c *cluster) stopAll() {
	for _, nd := range c.nodes {
		if nd.r != nil {
			nd.live.Store(nil)
			nd.r.Stop()
			nd.r = nil
		}
		if nd.db != nil {
			_ = nd.db.Close()
			nd.db = nil
		}
	}
}

// finalHeight is node i's final height (0: not running).
func (c *cluster) finalHeight(i int) uint64 { return c.finalID(i).Height() }

// finalID is node i's newest final block (its runner writes it).
func (c *cluster) finalID(i int) block.ID {
	nd := c.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.final
}

// requireProgress checks every listed node finalized above height min.
func (c *cluster) requireProgress(min uint64, nodes ...int) {
	c.t.Helper()
	for _, i := range nodes {
		if c.finalHeight(i) <= min {
			for j, nd := range c.nodes {
				if nd.r != nil {
					c.t.Logf("node %d: %+v", j, nd.r.Status())
				}
			}
			dumpRecords(c.t, c)
		}
		require.Greater(c.t, c.finalHeight(i), min, "node %d", i)
	}
}

// --- the node side: Producer, Applier, Blocks ---

func (nd *tnode) Produce(_ context.Context, req ProduceRequest) (Produced, error) {
	c := nd.c
	parent, ok := c.reg.get(req.Parent)
	if !ok {
		return Produced{}, fmt.Errorf("parent %s unknown", req.Parent)
	}
	var txs [][]byte
	if ch := c.change.Load(); ch != nil && !c.reg.holds(req.Parent, *ch) {
		txs = append(txs, *ch)
	}
	// The timestamp also counts this process's blocks: a restarted leader
	// that proposed again in a view would make a different block (as a
	// real one would, with other transactions), never the same by luck.
	nd.produced++
	h := block.Header{Height: parent.Height + 1, Parent: req.Parent, Term: req.View, Timestamp: time.Now().UnixNano() + nd.produced, Irreversible: req.Irreversible}
	b, err := block.Seal(h, txs, req.Certificate, nd.key)
	if err != nil {
		return Produced{}, err
	}
	c.reg.put(b)
	c.reg.mu.Lock()
	c.reg.made[b.ID()] = time.Now()
	c.reg.mu.Unlock()
	nd.store1(b.ID())
	c.deliver(nd, b)
	return Produced{Block: b}, nil
}

func (nd *tnode) store1(id block.ID) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	nd.blocks[id] = true
}

func (nd *tnode) Add(_ context.Context, b *block.Block) error {
	if err := b.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidBlock, err)
	}
	nd.c.reg.put(b)
	nd.store1(b.ID())
	return nil
}

func (nd *tnode) Commit(cm Commit) {
	if !cm.Final {
		return
	}
	nd.mu.Lock()
	prev := nd.final
	if cm.ID.Height() > prev.Height() {
		nd.final = cm.ID
	}
	nd.mu.Unlock()
	nd.c.chk.final(nd, prev, cm.ID)
}

// deliver hands a stored block to every other running node, as a node's
// blocksync would (proposals reach the producers of the proposer's epoch
// only; a producer that joins, or whose epoch's leader differs, learns the
// block this way).
func (c *cluster) deliver(from *tnode, b *block.Block) {
	for _, o := range c.nodes {
		if r := o.live.Load(); o != from && r != nil {
			r.AddBlock(&b.SignedHeader)
		}
	}
}

// --- the registry: every block, and the producer set after each ---

type registry struct {
	mu     sync.Mutex
	blocks map[block.ID]*block.Block
	// made and finalAt are when a block was produced and when node 0
	// first saw it final (for the finality figures).
	made, finalAt map[block.ID]time.Time
	genesisSet    []block.PublicKey
}

func newRegistry() *registry {
	return &registry{blocks: map[block.ID]*block.Block{}, made: map[block.ID]time.Time{}, finalAt: map[block.ID]time.Time{}}
}

// finality returns the median and 99th percentile of produce-to-final
// latency at node 0.
func (g *registry) finality() (p50, p99 time.Duration, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var ds []time.Duration
	for id, at := range g.finalAt {
		if m, ok := g.made[id]; ok {
			ds = append(ds, at.Sub(m))
		}
	}
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100], len(ds)
}

func (g *registry) put(b *block.Block) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocks[b.ID()] = b
}

func (g *registry) get(id block.ID) (*block.Block, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.blocks[id]
	return b, ok
}

// ancestry returns id and its ancestors, newest first.
func (g *registry) ancestry(id block.ID) ([]*block.Block, error) {
	var out []*block.Block
	for !id.IsZero() {
		b, ok := g.get(id)
		if !ok {
			return nil, ErrUnknownBlock
		}
		out = append(out, b)
		id = b.Parent
	}
	return out, nil
}

// holds reports whether id or an ancestor carries tx.
func (g *registry) holds(id block.ID, tx []byte) bool {
	path, _ := g.ancestry(id)
	for _, b := range path {
		for _, x := range b.Txs {
			if bytes.Equal(x, tx) {
				return true
			}
		}
	}
	return false
}

// SetAfter implements Sets: the genesis set with the change transactions
// of id's ancestry applied (prodset.Set.Apply).
func (g *registry) SetAfter(id block.ID) ([]block.PublicKey, error) {
	path, err := g.ancestry(id)
	if err != nil {
		return nil, err
	}
	ms := make([]prodset.Member, len(g.genesisSet))
	for i, k := range g.genesisSet {
		ms[i] = prodset.Member{Key: k, Peer: prodset.PeerOfKey(k)}
	}
	set, err := prodset.NewSet(ms)
	if err != nil {
		return nil, err
	}
	for i := len(path) - 1; i >= 0; i-- {
		for _, tx := range path[i].Txs {
			if t, ok, err := prodset.DecodeTx(tx); ok && err == nil {
				if set, err = set.Apply(t.Change); err != nil {
					return nil, err
				}
			}
		}
	}
	return set.Keys(), nil
}

// changeTx is a signed producer-set change (signed by keys).
func (c *cluster) changeTx(op prodset.Op, who, nonce int, signers ...int) []byte {
	ch := prodset.Change{Op: op, Peer: prodset.PeerOfKey(pubOf(c.keys[who])), Nonce: uint64(nonce)}
	var sigs []prodset.Signature
	for _, s := range signers {
		sigs = append(sigs, prodset.Sign(c.genesis.ID(), ch, c.keys[s]))
	}
	tx, err := prodset.EncodeTx(ch, sigs)
	require.NoError(c.t, err)
	return tx
}

// --- the store wrapper: what is durable, and crashes after a sync ---

var errCrash = errors.New("test: crashed after the sync, before the send")

type recStore struct {
	*bftstore.Store
	mu      sync.Mutex
	durable map[string]bool
	// crashOnVote: the next Append holding a vote record syncs, then fails
	// (the runner stops before sending: a crash between persist and send).
	crashOnVote atomic.Bool
	// atCrash, if set before crashOnVote, runs at the crash, in the
	// runner's goroutine: what the node had sent by then is all it may
	// ever send (a test reading that before setting crashOnVote raced the
	// node's sends in between: CI saw 116 then 117).
	atCrash func()
}

func recKey(k bft.RecordKind, view uint64, id block.ID) string {
	return fmt.Sprintf("%d/%d/%x", k, view, id[:])
}

func (s *recStore) Append(recs []bft.Record) error {
	if err := s.Store.Append(recs); err != nil {
		return err
	}
	s.mu.Lock()
	vote := false
	for _, r := range recs {
		s.durable[recKey(r.Kind, r.View, r.Block)] = true
		vote = vote || r.Kind != bft.RecRoot
	}
	s.mu.Unlock()
	if vote && s.crashOnVote.CompareAndSwap(true, false) {
		if s.atCrash != nil {
			s.atCrash()
		}
		return errCrash
	}
	return nil
}

func (s *recStore) isDurable(k bft.RecordKind, view uint64, id block.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.durable[recKey(k, view, id)]
}

// dumpRecords logs every node's safety records (a failing test's evidence).
func dumpRecords(t testing.TB, c *cluster) {
	for i, nd := range c.nodes {
		if nd.store == nil {
			continue
		}
		recs, _ := nd.store.Load()
		t.Logf("node %d records: %v", i, recs)
	}
}
