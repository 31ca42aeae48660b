package cft

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
)

// chainNode wires the engine to the real chain layer, raft and chain
// sharing one pebble database: the Producer builds through chain.StartBlock,
// dissemination is Add on the other nodes, and the Applier drives a Gate
// into chain.SetIrreversible. A follower has no engine and learns
// irreversibility from headers.
type chainNode struct {
	t     *testing.T
	id    raft.ServerAddress
	key   ed25519.PrivateKey
	fs    vfs.FS
	peers *[]*chainNode

	mu   sync.Mutex // guards c and gate; never held across another node's
	db   *pebble.DB
	c    *chain.Chain
	gate *Gate
	eng  *Engine
	hook func() // runs after a block is disseminated (fault injection)
	// failing makes Produce fail (fault injection: a transient producer
	// error, e.g. the committed parent's body still in flight).
	failing bool
}

func chainGenesis(t *testing.T) *block.Block {
	g, err := block.Seal(block.Header{Height: 1}, nil, nil, seedKey(0))
	require.NoError(t, err)
	return g
}

func seedKey(b byte) ed25519.PrivateKey {
	var s [ed25519.SeedSize]byte
	s[0] = b
	return ed25519.NewKeyFromSeed(s[:])
}

func (n *chainNode) open(genesis *block.Block) {
	cfg := chain.DefaultDBConfig()
	cfg.FS, cfg.MemTableSize, cfg.CacheSize = n.fs, 1<<20, 1<<20
	db, err := chain.OpenDB("db", cfg)
	require.NoError(n.t, err)
	c, err := chain.Open(db, chain.NewKV(chain.DefaultKVLimits()), genesis, chain.DefaultConfig())
	require.NoError(n.t, err)
	n.db, n.c, n.gate = db, c, NewGate(c.IrreversibleID())
}

func (n *chainNode) startEngine(net carrier, bootstrap []raft.Server) {
	cfg := testConfig(n.id, n.c.Genesis())
	cfg.Bootstrap = bootstrap
	cfg.ServerOf = chainServerOf
	deps := Deps{DB: n.db, Producer: n, Applier: n}
	net.carry(n.id, &deps)
	eng, err := New(cfg, deps)
	require.NoError(n.t, err)
	n.mu.Lock() // receive reads eng from other nodes' goroutines
	n.eng = eng
	n.mu.Unlock()
}

// Produce builds on the chain's head. When the head is a descendant of
// req.Parent (a deposed leader's disseminated block whose id never reached
// the raft log) the blocks in between go back as Produced.Via for the
// engine to re-propose; a head on another branch is an error. With
// req.NoVia (the FSM refused a re-proposed block) it builds on req.Parent.
func (n *chainNode) Produce(_ context.Context, req ProduceRequest) (Produced, error) {
	n.mu.Lock()
	if n.failing {
		n.mu.Unlock()
		return Produced{}, errors.New("test: producer failing")
	}
	var via []Link
	var err error
	params := chain.ProduceParams{Term: req.Term, Timestamp: time.Now().UnixNano()}
	if req.NoVia {
		params.Parent = req.Parent // duty 4: build on the committed parent itself
	} else {
		via, err = n.viaLocked(req.Parent)
	}
	var b *chain.Builder
	if err == nil {
		b, err = n.c.StartBlock(params)
	}
	if err == nil {
		_ = b.ApplyTx(chain.AppendKVTx(nil, chain.KVOp{Kind: chain.KVSet, Key: []byte("k"), Value: []byte(n.id)}))
	}
	var blk *block.Block
	if err == nil {
		blk, _, err = b.Finish(n.key)
	}
	if err == nil {
		err = n.c.Sync()
	}
	if err == nil {
		n.arrivedLocked(blk.ID())
	}
	hook := n.hook
	n.mu.Unlock()
	if err != nil {
		return Produced{}, err
	}
	for _, o := range *n.peers {
		if o != n {
			o.receive(blk, n)
		}
	}
	if hook != nil {
		hook()
	}
	return Produced{ID: blk.ID(), HeaderHash: headerHash(blk), Header: &blk.SignedHeader, Via: via}, nil
}

// viaLocked returns the stored blocks from just above parent up to the
// head, oldest first.
func (n *chainNode) viaLocked(parent block.ID) ([]Link, error) {
	var via []Link
	for id := n.c.HeadID(); id != parent; {
		if id.Height() <= parent.Height() {
			return nil, fmt.Errorf("head %s does not descend from %s", n.c.HeadID(), parent)
		}
		b, err := n.c.Block(id)
		if err != nil {
			return nil, err
		}
		via = append([]Link{{ID: id, HeaderHash: headerHash(b), Header: &b.SignedHeader}}, via...)
		id = b.Parent
	}
	return via, nil
}

// headerHash is what node.Node records: the hash of the signed header
// encoding, which signed (version 2) entries derive themselves.
func headerHash(b *block.Block) block.Hash { return sha256.Sum256(b.SignedHeader.AppendEncoding(nil)) }

// chainServerOf maps the test producers' keys (seedKey(i+1) for "p<i>") to
// their server ids: Config.ServerOf, so these tests run the FSM's
// signature and membership checks.
func chainServerOf(k block.PublicKey) (raft.ServerID, bool) {
	for i := range 8 {
		var pub block.PublicKey
		copy(pub[:], seedKey(byte(i+1)).Public().(ed25519.PublicKey))
		if pub == k {
			return raft.ServerID(fmt.Sprintf("p%d", i)), true
		}
	}
	return "", false
}

// receive is blocksync delivering a block from a peer; a node that missed
// blocks (it was down) fetches the missing ancestors from that peer first.
func (n *chainNode) receive(blk *block.Block, from *chainNode) {
	n.mu.Lock()
	if n.c == nil {
		n.mu.Unlock()
		return // down
	}
	_, err := n.c.Add(blk)
	n.mu.Unlock()
	if chain.ReasonOf(err) == chain.ReasonUnknownParent {
		if parent := from.block(blk.Parent); parent != nil {
			n.receive(parent, from)
			n.mu.Lock()
			_, err = n.c.Add(blk)
			n.mu.Unlock()
		}
	}
	if err != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.eng == nil { // a follower: irreversibility from the header
		if claim, ok := FromHeader(n.gate.Irreversible(), &blk.Header); ok {
			n.setLocked(n.gate.Committed(claim))
		}
	}
	n.arrivedLocked(blk.ID())
}

func (n *chainNode) block(id block.ID) *block.Block {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.c == nil {
		return nil
	}
	b, err := n.c.Block(id)
	if err != nil {
		return nil
	}
	return b
}

func (n *chainNode) Commit(c Commit) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.setLocked(n.gate.Committed(c.ID))
	if _, err := n.c.Block(c.ID); err == nil {
		n.arrivedLocked(c.ID)
	}
}

func (n *chainNode) arrivedLocked(id block.ID) { n.setLocked(n.gate.Arrived(id)) }

func (n *chainNode) setLocked(id block.ID, moved bool) {
	if moved {
		_, err := n.c.SetIrreversible(id)
		require.NoError(n.t, err)
	}
}

func (n *chainNode) irreversible() block.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.c.IrreversibleID()
}

func (n *chainNode) stop() {
	if n.eng != nil {
		require.NoError(n.t, n.eng.Close())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	require.NoError(n.t, n.db.Close())
	n.c, n.eng = nil, nil
}

// TestWithChain runs three producers and a follower on the real chain
// layer, raft and chain in one pebble database per node, through planned
// hand-offs and a restart from the database, and compares the irreversible
// chains block by block.
func TestWithChain(t *testing.T) {
	forBothCarriers(t, func(t *testing.T, net carrier) {
		genesis := chainGenesis(t)
		var nodes []*chainNode
		var servers []raft.Server
		for i := range 4 {
			n := &chainNode{t: t, id: raft.ServerAddress(fmt.Sprintf("p%d", i)), key: seedKey(byte(i + 1)), fs: vfs.NewMem(), peers: &nodes}
			nodes = append(nodes, n)
			if i < 3 {
				servers = append(servers, raft.Server{ID: raft.ServerID(n.id), Address: n.id, Suffrage: raft.Voter})
			}
		}
		for _, n := range nodes {
			n.open(genesis)
		}
		for _, n := range nodes[:3] {
			n.startEngine(net, servers)
		}
		defer func() {
			for _, n := range nodes {
				if n.c != nil {
					n.stop()
				}
			}
		}()
		waitHeight := func(h uint64, ns ...*chainNode) {
			deadline := time.Now().Add(time.Minute)
			for _, n := range ns {
				for n.irreversible().Height() < h {
					require.True(t, time.Now().Before(deadline), "%s stuck at %d", n.id, n.irreversible().Height())
					time.Sleep(5 * time.Millisecond)
				}
			}
		}
		waitHeight(20, nodes...)

		// Planned hand-offs and a restart from the shared database.
		for round := range 3 {
			var ld *chainNode
			for ld == nil {
				for _, n := range nodes[:3] {
					if n.eng != nil && n.eng.Status().Producing {
						ld = n
					}
				}
				time.Sleep(time.Millisecond)
			}
			ld.stop()
			top := nodes[3].irreversible().Height()
			waitHeight(top+10, nodes[3])
			ld.open(genesis) // same in-memory filesystem: the node's disk
			ld.startEngine(net, nil)
			waitHeight(top+20+uint64(round), nodes...)
		}

		// Every node's irreversible chain, block by block, is the same.
		top := nodes[0].irreversible().Height()
		for _, n := range nodes {
			top = min(top, n.irreversible().Height())
		}
		for h := uint64(1); h <= top; h++ {
			var want block.ID
			for i, n := range nodes {
				n.mu.Lock()
				b, err := n.c.BlockAt(h)
				n.mu.Unlock()
				require.NoError(t, err)
				if i == 0 {
					want = b.ID()
				}
				require.Equal(t, want, b.ID(), "height %d on %s", h, n.id)
			}
		}
	})
}

// startThreeProducers starts producers p0..p2 on a fresh chain over net
// (1 ms latency), stops them when the test ends, and returns the one
// producing after half a second of virtual time, and the other two.
func startThreeProducers(t *testing.T, net carrier) (leader *chainNode, rest []*chainNode) {
	genesis := chainGenesis(t)
	net.SetLatency(time.Millisecond)
	var nodes []*chainNode
	var servers []raft.Server
	for i := range 3 {
		n := &chainNode{t: t, id: raft.ServerAddress(fmt.Sprintf("p%d", i)), key: seedKey(byte(i + 1)), fs: vfs.NewMem(), peers: &nodes}
		nodes = append(nodes, n)
		servers = append(servers, raft.Server{ID: raft.ServerID(n.id), Address: n.id, Suffrage: raft.Voter})
	}
	for _, n := range nodes {
		n.open(genesis)
		n.startEngine(net, servers)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
	})
	time.Sleep(500 * time.Millisecond)
	for _, n := range nodes {
		if n.eng.Status().Producing {
			leader = n
		}
	}
	require.NotNil(t, leader)
	for _, n := range nodes {
		if n != leader {
			rest = append(rest, n)
		}
	}
	return leader, rest
}

// TestWithChainLeaderCutAfterDissemination cuts the leader off right after
// it disseminated a block and before the block's id reached any follower:
// every survivor then holds that block as its best head while the raft log
// ends at its parent. The new leader re-proposes it (Produced.Via) and the
// chain goes on, the block included.
func TestWithChainLeaderCutAfterDissemination(t *testing.T) {
	forBothCarriers(t, func(t *testing.T, net carrier) {
		ld, rest := startThreeProducers(t, net)
		cut := make(chan block.ID, 1)
		ld.mu.Lock()
		ld.hook = func() {
			ld.mu.Lock()
			ld.hook = nil
			head := ld.c.HeadID()
			ld.mu.Unlock()
			net.isolate(ld.id, true)
			cut <- head
		}
		ld.mu.Unlock()
		orphan := <-cut
		deadline := time.Now().Add(time.Minute)
		for _, n := range rest {
			for n.irreversible().Height() < orphan.Height()+10 {
				require.True(t, time.Now().Before(deadline), "%s stuck at %d", n.id, n.irreversible().Height())
				time.Sleep(5 * time.Millisecond)
			}
			got := n.block(orphan)
			require.NotNil(t, got, "the disseminated block was re-proposed and committed")
			n.mu.Lock()
			at, err := n.c.BlockAt(orphan.Height())
			n.mu.Unlock()
			require.NoError(t, err)
			require.Equal(t, orphan, at.ID())
		}
		net.isolate(ld.id, false)
	})
}

// carrier is what carries raft in the chain tests: messages on a MemNet
// or streams on a MemNetwork.
type carrier interface {
	carry(id raft.ServerAddress, d *Deps)
	SetLatency(time.Duration)
	isolate(id raft.ServerAddress, cut bool)
}

func (n *MemNet) carry(id raft.ServerAddress, d *Deps) {
	d.Messenger, d.Names = n.Messenger(peer.ID(id)), RawNames{}
}
func (n *MemNet) isolate(id raft.ServerAddress, cut bool) { n.Isolate(peer.ID(id), cut) }

func (n *MemNetwork) carry(id raft.ServerAddress, d *Deps)    { d.Stream = n.Layer(id) }
func (n *MemNetwork) isolate(id raft.ServerAddress, cut bool) { n.Isolate(id, cut) }

// forBothCarriers runs f in a synctest bubble once per carrier. Messages
// are 2 KiB at most: a signed block entry with its AppendEntries header
// fits, a catch-up batch does not.
func forBothCarriers(t *testing.T, f func(t *testing.T, net carrier)) {
	t.Run("messenger", func(t *testing.T) { synctest.Test(t, func(t *testing.T) { f(t, NewMemNet(1, 2048)) }) })
	t.Run("stream", func(t *testing.T) { synctest.Test(t, func(t *testing.T) { f(t, NewMemNetwork()) }) })
}
