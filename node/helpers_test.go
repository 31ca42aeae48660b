package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/engine"
	"github.com/blockwire/blockwire/link"
)

// testNet is a network of nodes on the in-memory link network (raft rides
// their routed transport), for tests inside a synctest bubble.
type testNet struct {
	t       *testing.T
	engine  Engine
	genesis *Genesis
	mem     *link.MemNetwork
	raft    *raftFaults // cuts or slows raft only (raftfaults_test.go)
	specs   []*testNode
	// options are extra options per node index.
	options map[int][]Option
	// peers, when set, are the nodes each node dials (by index); nil is a
	// full mesh.
	peers map[int][]int
	// tweak, when set, edits node i's config last.
	tweak map[int]func(*Config)
}

type testNode struct {
	name     string
	key      crypto.PrivKey
	id       link.PeerID
	producer bool
	dir      string
	n        *Node // nil while stopped
}

// testLogger returns a silent logger, or one writing to stderr with
// BLOCKWIRE_TEST_LOG=debug.
func testLogger(name string) zerolog.Logger {
	lv := os.Getenv("BLOCKWIRE_TEST_LOG")
	if lv == "" {
		return zerolog.Nop()
	}
	level, _ := zerolog.ParseLevel(lv)
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}).Level(level).
		With().Timestamp().Str("node", name).Logger()
}

func newKey(t *testing.T) crypto.PrivKey {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	return k
}

// newTestNet builds (but does not start) producers + full nodes.
func newTestNet(t *testing.T, engine Engine, producers, full int) *testNet {
	t.Helper()
	mem, err := link.NewMemNetwork(link.MemConfig{Latency: 2 * time.Millisecond})
	require.NoError(t, err)
	tn := &testNet{t: t, engine: engine, mem: mem, raft: newRaftFaults()}
	var pks []ProducerKey
	for i := range producers + full {
		k := newKey(t)
		id, err := peer.IDFromPrivateKey(k)
		require.NoError(t, err)
		sp := &testNode{key: k, id: id, producer: i < producers, dir: t.TempDir()}
		if sp.producer {
			sp.name = fmt.Sprintf("p%d", i)
			pks = append(pks, ProducerKey{Name: sp.name, Key: k.GetPublic()})
		} else {
			sp.name = fmt.Sprintf("f%d", i-producers)
		}
		tn.specs = append(tn.specs, sp)
	}
	tn.genesis, err = NewEngineGenesis("testnet", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), pks, engine)
	require.NoError(t, err)
	return tn
}

func (tn *testNet) config(sp *testNode) Config {
	cfg := DefaultConfig()
	cfg.Node.Name = sp.name
	cfg.Node.Role = RoleFull
	if sp.producer {
		cfg.Node.Role = RoleProducer
	}
	cfg.Node.DataDir = filepath.Join(sp.dir, "data")
	cfg.Consensus.Engine = tn.engine
	cfg.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	cfg.Log.Level = "disabled"
	for i, o := range tn.specs {
		if o != sp && tn.peers == nil {
			cfg.P2P.StaticPeers = append(cfg.P2P.StaticPeers, "/p2p/"+o.id.String())
		}
		if o == sp && tn.peers != nil {
			for _, j := range tn.peers[i] {
				cfg.P2P.StaticPeers = append(cfg.P2P.StaticPeers, "/p2p/"+tn.specs[j].id.String())
			}
		}
		if o == sp && tn.tweak[i] != nil {
			tn.tweak[i](&cfg)
		}
	}
	return cfg
}

// start starts node i.
func (tn *testNet) start(i int) *Node {
	t := tn.t
	t.Helper()
	sp := tn.specs[i]
	opts := append([]Option{WithGenesis(tn.genesis), WithKey(sp.key),
		WithLogger(testLogger(sp.name)), WithMemNetwork(tn.mem), func(o *options) { o.raftWrap = tn.raft.wrap }}, tn.options[i]...)
	n, err := New(tn.config(sp), opts...)
	require.NoError(t, err)
	require.NoError(t, n.Start(context.Background()))
	sp.n = n
	return n
}

func (tn *testNet) startAll() {
	for i := range tn.specs {
		tn.start(i)
	}
}

func (tn *testNet) stop(i int, crash bool) {
	t := tn.t
	t.Helper()
	sp := tn.specs[i]
	if crash {
		require.NoError(t, sp.n.Kill())
	} else {
		require.NoError(t, sp.n.Stop())
	}
	sp.n = nil
}

func (tn *testNet) stopAll() {
	for i, sp := range tn.specs {
		if sp.n != nil {
			tn.stop(i, false)
		}
	}
}

func (tn *testNet) running() []*Node {
	var out []*Node
	for _, sp := range tn.specs {
		if sp.n != nil {
			out = append(out, sp.n)
		}
	}
	return out
}

// waitFor advances virtual time in steps until cond holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// irreversibleAtLeast waits until every running node's irreversible height
// reaches h.
func (tn *testNet) irreversibleAtLeast(h uint64, limit time.Duration) {
	tn.t.Helper()
	waitFor(tn.t, limit, fmt.Sprintf("irreversible height %d everywhere", h), func() bool {
		for _, n := range tn.running() {
			if _, irr := n.Head(); irr.Height < h {
				return false
			}
		}
		return true
	})
}

// converged waits until every running node has the same head and state root.
func (tn *testNet) converged(limit time.Duration) (block.ID, block.Hash) {
	t := tn.t
	t.Helper()
	var id block.ID
	var root block.Hash
	waitFor(t, limit, "the same head and state root everywhere", func() bool {
		first := true
		for _, n := range tn.running() {
			h, r, err := n.StateRoot(context.Background())
			if err != nil {
				return false
			}
			if first {
				id, root, first = h, r, false
			} else if h != id || r != root {
				return false
			}
		}
		return true
	})
	return id, root
}

func kvTx(key, value string) []byte {
	return chain.AppendKVTx(nil, chain.KVOp{Kind: chain.KVSet, Key: []byte(key), Value: []byte(value)})
}

func raftAddr(n *Node) raft.ServerAddress { return raft.ServerAddress(n.ID().String()) }

// irreversibleAtLeastOn waits for h on the given nodes only.
func (tn *testNet) irreversibleAtLeastOn(idx []int, h uint64, limit time.Duration) {
	tn.t.Helper()
	waitFor(tn.t, limit, fmt.Sprintf("irreversible height %d on %v", h, idx), func() bool {
		for _, i := range idx {
			if _, irr := tn.specs[i].n.Head(); irr.Height < h {
				return false
			}
		}
		return true
	})
}

// engine returns the raft engine of a CFT producer (nil on full nodes,
// solo, BFT, or before Start).
func (n *Node) engine() *cft.Engine {
	if e, ok := n.eng.(*engine.CFT); ok {
		return e.Raft()
	}
	return nil
}
