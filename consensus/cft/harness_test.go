package cft

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// world is the test cluster's shared view: every header ever produced (the
// block log and blocksync of a real node, collapsed), plus every node's
// irreversible chain for the cross-node invariants.
type world struct {
	t *testing.T
	// Exactly one of msg (raft over MsgTransport, the default) and net
	// (raft's NetworkTransport over the stream layer) carries raft.
	msg *MemNet
	net *MemNetwork

	mu      sync.Mutex
	headers map[block.ID]block.Header
	nodes   []*tnode
	genesis block.ID
	log     zerolog.Logger // engine and raft logs; zero value silent
	// producers is the producer set "the chain" holds in force (Deps.Peers);
	// refusals are every RefusedError any node reported (Deps.Refused).
	producers []raft.ServerID
	refusals  []*RefusedError
}

// tnode is a producer (engine != nil while running) or a follower.
type tnode struct {
	w    *world
	addr raft.ServerAddress
	dir  string
	db   *pebble.DB
	eng  *Engine

	// under w.mu:
	gate      *Gate
	chain     map[uint64]block.ID // irreversible chain by height, survives restarts (block log)
	cut       bool                // isolated: receives no bodies or headers
	follower  bool
	changes   []Change            // injected into the next block this node produces
	carried   block.ID            // the block that carried changes
	index     map[block.ID]uint64 // raft index of each commit seen
	snapshots int                 // commits delivered from a snapshot restore
	onBlock   func(id block.ID)
}

// worldMaxPayload is the messenger's payload limit in the cluster tests:
// small enough that catch-up AppendEntries are split and snapshots travel
// in several chunks.
const worldMaxPayload = 512

// newWorld returns a world whose raft runs over MemNet messengers.
func newWorld(t *testing.T) *world {
	w := newStreamWorld(t)
	w.net, w.msg = nil, NewMemNet(1, worldMaxPayload)
	return w
}

// newStreamWorld returns a world whose raft runs over the MemNetwork stream
// layer (the transport the node used before the messenger).
func newStreamWorld(t *testing.T) *world {
	g := block.Header{Height: 1}
	w := &world{t: t, net: NewMemNetwork(), headers: map[block.ID]block.Header{}, genesis: g.ID()}
	w.headers[w.genesis] = g
	return w
}

// forBoth runs f in a synctest bubble once per transport.
func forBoth(t *testing.T, f func(t *testing.T, newW func(*testing.T) *world)) {
	for _, tc := range []struct {
		name string
		newW func(*testing.T) *world
	}{{"messenger", newWorld}, {"stream", newStreamWorld}} {
		t.Run(tc.name, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { f(t, tc.newW) }) })
	}
}

// setLatency sets the one-way delay of every link (every hop).
func (w *world) setLatency(d time.Duration) {
	if w.msg != nil {
		w.msg.SetLatency(d)
		return
	}
	w.net.SetLatency(d)
}

func testConfig(id raft.ServerAddress, genesis block.ID) Config {
	c := DefaultConfig()
	c.LocalID = raft.ServerID(id)
	c.Genesis = genesis
	c.ProduceInterval = 20 * time.Millisecond
	// Snapshot often and keep a short log, so restarts and lagging nodes go
	// through snapshot restore and InstallSnapshot.
	c.SnapshotThreshold = 32
	c.SnapshotInterval = 100 * time.Millisecond
	c.TrailingLogs = 16
	return c
}

// addNodes adds n producers (bootstrapped together) and f followers.
func (w *world) addNodes(n, f int) {
	var servers []raft.Server
	for i := range n {
		addr := raft.ServerAddress(fmt.Sprintf("p%d", i))
		servers = append(servers, raft.Server{ID: raft.ServerID(addr), Address: addr, Suffrage: raft.Voter})
	}
	w.mu.Lock()
	for _, s := range servers {
		w.producers = append(w.producers, s.ID)
	}
	w.mu.Unlock()
	for i := range n {
		nd := w.newNode(servers[i].Address, false)
		nd.start(servers)
	}
	for i := range f {
		w.newNode(raft.ServerAddress(fmt.Sprintf("f%d", i)), true)
	}
}

func (w *world) newNode(addr raft.ServerAddress, follower bool) *tnode {
	nd := &tnode{w: w, addr: addr, dir: filepath.Join(w.t.TempDir(), string(addr)), follower: follower,
		gate: NewGate(w.genesis), chain: map[uint64]block.ID{w.genesis.Height(): w.genesis}}
	w.mu.Lock()
	w.nodes = append(w.nodes, nd)
	w.mu.Unlock()
	return nd
}

// start opens the node's pebble directory and starts its engine.
func (nd *tnode) start(bootstrap []raft.Server) {
	t := nd.w.t
	t.Helper()
	db, err := openDB(t, nd.dir)
	require.NoError(t, err)
	nd.db = db
	cfg := testConfig(nd.addr, nd.w.genesis)
	cfg.Bootstrap = bootstrap
	cfg.Logger = nd.w.log.With().Str("node", string(nd.addr)).Logger()
	deps := Deps{DB: db, Producer: nd, Applier: nd, Refused: nd.w.refused, Peers: nd.w.peers}
	if nd.w.msg != nil {
		deps.Messenger, deps.Names = nd.w.msg.Messenger(peer.ID(nd.addr)), RawNames{}
	} else {
		deps.Stream = nd.w.net.Layer(nd.addr)
	}
	eng, err := New(cfg, deps)
	require.NoError(t, err)
	nd.eng = eng
}

// peers is Deps.Peers: the producer set in force.
func (w *world) peers() []raft.ServerID {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.producers)
}

// setProducers replaces the producer set in force (as a change block
// becoming irreversible would).
func (w *world) setProducers(ids ...raft.ServerID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.producers = ids
}

// refused is Deps.Refused: it records every refusal.
func (w *world) refused(re *RefusedError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.refusals = append(w.refusals, re)
}

// refusalsFrom returns the refusals recorded against peer.
func (w *world) refusalsFrom(peer raft.ServerID) []*RefusedError {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*RefusedError
	for _, re := range w.refusals {
		if re.Peer == peer {
			out = append(out, re)
		}
	}
	return out
}

// stop shuts the engine down (crash: no hand-off) and closes pebble.
func (nd *tnode) stop(crash bool) {
	t := nd.w.t
	t.Helper()
	if crash {
		require.NoError(t, nd.eng.Abort())
	} else {
		require.NoError(t, nd.eng.Close())
	}
	require.NoError(t, nd.db.Close())
	nd.eng, nd.db = nil, nil
}

// Produce builds a header on req.Parent and disseminates it.
func (nd *tnode) Produce(_ context.Context, req ProduceRequest) (Produced, error) {
	w := nd.w
	w.mu.Lock()
	parent, ok := w.headers[req.Parent]
	if !ok {
		w.mu.Unlock()
		return Produced{}, fmt.Errorf("unknown parent %s", req.Parent)
	}
	var key block.PublicKey
	copy(key[:], nd.addr)
	h := block.Header{Height: parent.Height + 1, Parent: req.Parent, Term: req.Term, Producer: key,
		Timestamp: time.Now().UnixNano(), Irreversible: req.Irreversible}
	id := h.ID()
	w.headers[id] = h
	changes := nd.changes
	if changes != nil {
		nd.carried = id
	}
	nd.changes = nil
	hook := nd.onBlock
	for _, o := range w.nodes {
		if o != nd && !o.cut {
			o.receiveLocked(h, id)
		}
	}
	w.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	return Produced{ID: id, HeaderHash: sha256.Sum256(h.AppendCanonical(nil)), Changes: changes}, nil
}

// receiveLocked is blocksync delivering a body: followers also learn
// irreversibility from the header.
func (nd *tnode) receiveLocked(h block.Header, id block.ID) {
	if nd.follower {
		if claim, ok := FromHeader(nd.gate.Irreversible(), &h); ok {
			nd.advanceLocked(nd.gate.Committed(claim))
		}
	}
	nd.advanceLocked(nd.gate.Arrived(id))
}

// Commit is the Applier: mark committed, fetch the body if missing.
func (nd *tnode) Commit(c Commit) {
	w := nd.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.Snapshot {
		nd.snapshots++
	}
	if nd.index == nil {
		nd.index = map[block.ID]uint64{}
	}
	nd.index[c.ID] = c.Index
	nd.advanceLocked(nd.gate.Committed(c.ID))
	if _, ok := w.headers[c.ID]; ok {
		nd.advanceLocked(nd.gate.Arrived(c.ID)) // fetched through "blocksync"
	}
}

// advanceLocked extends the node's irreversible chain to id, walking parents
// back to the previous irreversible block; a walk that misses it is a
// safety violation (the new block does not extend the old).
func (nd *tnode) advanceLocked(id block.ID, moved bool) {
	if !moved {
		return
	}
	w := nd.w
	var path []block.ID
	for cur := id; ; {
		if have, ok := nd.chain[cur.Height()]; ok {
			if have != cur {
				w.t.Errorf("%s: irreversible %s does not extend %s", nd.addr, id, have)
			}
			break
		}
		path = append(path, cur)
		cur = w.headers[cur].Parent
	}
	for _, p := range path {
		nd.chain[p.Height()] = p
	}
}

func (nd *tnode) irrHeight() uint64 {
	nd.w.mu.Lock()
	defer nd.w.mu.Unlock()
	return nd.gate.Irreversible().Height()
}

// isolate cuts the node off the network (raft and block dissemination).
func (w *world) isolate(nd *tnode, cut bool) {
	w.mu.Lock()
	nd.cut = cut
	w.mu.Unlock()
	if w.msg != nil {
		w.msg.Isolate(peer.ID(nd.addr), cut)
		return
	}
	w.net.Isolate(nd.addr, cut)
}

// check asserts the cross-node invariants: at every height all nodes that
// hold an irreversible block hold the same one, and every node's chain is a
// gap-free prefix of the longest.
func (w *world) check() {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	byHeight := map[uint64]block.ID{}
	for _, nd := range w.nodes {
		top := nd.gate.Irreversible().Height()
		for h := w.genesis.Height(); h <= top; h++ {
			id, ok := nd.chain[h]
			require.True(w.t, ok, "%s has a gap at height %d below its irreversible %d", nd.addr, h, top)
			if other, ok := byHeight[h]; ok {
				require.Equal(w.t, other, id, "two irreversible blocks at height %d", h)
			}
			byHeight[h] = id
		}
	}
}

// leader returns the producing node, waiting for one.
func (w *world) leader() *tnode {
	w.t.Helper()
	var out *tnode
	w.waitFor("a producing leader", func() bool {
		for _, nd := range w.nodes {
			if nd.eng != nil && !nd.cut && nd.eng.Status().Producing {
				out = nd
				return true
			}
		}
		return false
	})
	return out
}

// waitFor polls cond on virtual time (a sleep inside the bubble costs no real
// time) and fails after a virtual minute.
func (w *world) waitFor(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// progress waits until every listed node's irreversible height passes its
// current value by at least n.
func (w *world) progress(n uint64, nodes ...*tnode) {
	w.t.Helper()
	start := make([]uint64, len(nodes))
	for i, nd := range nodes {
		start[i] = nd.irrHeight()
	}
	w.waitFor(fmt.Sprintf("%d more irreversible blocks", n), func() bool {
		for i, nd := range nodes {
			if nd.irrHeight() < start[i]+n {
				return false
			}
		}
		return true
	})
	for _, nd := range nodes {
		w.t.Logf("%v %s irreversible %d", time.Now().Format("05.000"), nd.addr, nd.irrHeight())
	}
}

// live returns the nodes that are running and connected, plus followers.
func (w *world) live() []*tnode {
	var out []*tnode
	for _, nd := range w.nodes {
		if (nd.eng != nil || nd.follower) && !nd.cut {
			out = append(out, nd)
		}
	}
	return out
}

func (w *world) stopAll() {
	for _, nd := range w.nodes {
		if nd.eng != nil {
			nd.stop(false)
		}
	}
}

func without(nodes []*tnode, x *tnode) []*tnode {
	return slices.DeleteFunc(slices.Clone(nodes), func(n *tnode) bool { return n == x })
}

// openDB opens a node's pebble database the way a node would, quietly.
func openDB(t testing.TB, dir string) (*pebble.DB, error) {
	return pebble.Open(dir, &pebble.Options{FormatMajorVersion: pebble.FormatNewest, Logger: testPebbleLogger{t}})
}

type testPebbleLogger struct{ t testing.TB }

func (testPebbleLogger) Infof(string, ...any)        {}
func (testPebbleLogger) Errorf(string, ...any)       {}
func (l testPebbleLogger) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// syncBuffer is a log sink safe for raft's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}
