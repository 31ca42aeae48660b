package attestrun

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
	"github.com/blockwire/blockwire/consensus/atteststore"
)

// memNet is the in-memory twin of the transport's attestation class:
// messages between runners with a one-way latency on time.AfterFunc (exact
// virtual times under synctest); a send to a detached node fails later
// with Undeliverable, as the transport's queue timeout would.
type memNet struct {
	mu      sync.Mutex
	nodes   map[block.PublicKey]*Runner
	latency time.Duration
	seq     uint64
	// requests counts requests per (block, level, verifier).
	requests map[string]int
}

func newMemNet(latency time.Duration) *memNet {
	return &memNet{nodes: map[block.PublicKey]*Runner{}, latency: latency, requests: map[string]int{}}
}

type memEnd struct {
	n    *memNet
	from block.PublicKey
}

func (e memEnd) Send(to block.PublicKey, payload []byte) (uint64, error) {
	n := e.n
	n.mu.Lock()
	n.seq++
	seq := n.seq
	if m, err := attest.DecodeMessage(payload, attest.MaxMessageSize); err == nil && m.Request != nil {
		n.requests[fmt.Sprintf("%s/L%d/%x", m.Request.Block, m.Request.Level, to[:4])]++
	}
	n.mu.Unlock()
	time.AfterFunc(n.latency, func() {
		n.mu.Lock()
		dst, src := n.nodes[to], n.nodes[e.from]
		n.mu.Unlock()
		switch {
		case dst != nil:
			dst.Deliver(e.from, payload)
		case src != nil:
			src.Undeliverable(to, seq)
		}
	})
	return seq, nil
}

func (n *memNet) attach(k block.PublicKey, r *Runner) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r == nil {
		delete(n.nodes, k)
		return
	}
	n.nodes[k] = r
}

func (n *memNet) maxRequests() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := 0
	for _, c := range n.requests {
		m = max(m, c)
	}
	return m
}

// fakeChain is a chain whose irreversible height the test moves; ids are
// derived from heights.
type fakeChain struct {
	mu  sync.Mutex
	irr uint64
}

func idAt(h uint64) block.ID {
	var id block.ID
	id[0], id[1], id[31] = byte(h>>8), byte(h), 0xab
	return id
}

func (c *fakeChain) IrreversibleHeight() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.irr
}

func (c *fakeChain) IrreversibleAt(h uint64) (block.ID, bool) {
	if h > c.IrreversibleHeight() {
		return block.ID{}, false
	}
	return idAt(h), true
}

func (c *fakeChain) set(h uint64) {
	c.mu.Lock()
	c.irr = h
	c.mu.Unlock()
}

// check is a verifier's CheckBlock against its (lagging) chain.
func (c *fakeChain) check(id block.ID) error {
	for h := uint64(1); h <= c.IrreversibleHeight(); h++ {
		if idAt(h) == id {
			return nil
		}
	}
	return fmt.Errorf("not irreversible here: %w", attest.ErrNotYet)
}

// cluster is a requester and verifiers on a memNet.
type cluster struct {
	t       *testing.T
	net     *memNet
	chainID block.Hash
	sched   attest.Config
	members []attest.Member
	keys    []ed25519.PrivateKey
	vers    []*Runner
	vchain  *fakeChain
	rchain  *fakeChain
	rkey    ed25519.PrivateKey
	fs      *vfs.MemFS
	db      *pebble.DB
	req     *Runner
}

func key(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0], seed[1] = byte(i), 0x77
	return ed25519.NewKeyFromSeed(seed)
}

func pub(k ed25519.PrivateKey) (p block.PublicKey) {
	copy(p[:], k.Public().(ed25519.PublicKey))
	return p
}

// newCluster starts one verifier per level slot of levels (e.g.
// "L2=3,L3=1": three L2 verifiers and one L3) plus spare extra per level.
func newCluster(t *testing.T, levels string, spare int) *cluster {
	c := &cluster{t: t, net: newMemNet(5 * time.Millisecond), chainID: block.Hash{9}, vchain: &fakeChain{}, rchain: &fakeChain{},
		rkey: key(200), fs: vfs.NewCrashableMem()}
	lv, err := attest.ParseLevels(levels, time.Second)
	require.NoError(t, err)
	c.sched = attest.DefaultConfig(c.chainID)
	c.sched.Levels = lv
	n := 0
	for _, l := range lv {
		for j := 0; j < l.Required+spare; j++ {
			k := key(n)
			n++
			c.keys = append(c.keys, k)
			c.members = append(c.members, attest.Member{Key: pub(k), Level: l.Number, Operator: fmt.Sprintf("op%d", j)})
		}
	}
	for i, k := range c.keys {
		cfg := DefaultConfig(c.chainID)
		cfg.Key, cfg.Sched, cfg.Level = k, c.sched, c.members[i].Level
		r, err := New(cfg, Deps{Net: memEnd{c.net, pub(k)}, Directory: c.directory, CheckBlock: c.vchain.check})
		require.NoError(t, err)
		c.net.attach(pub(k), r)
		r.Start()
		c.vers = append(c.vers, r)
	}
	t.Cleanup(func() {
		for _, r := range c.vers {
			r.Stop()
		}
	})
	c.startRequester(c.fs)
	return c
}

func (c *cluster) directory() []attest.Member { return append([]attest.Member(nil), c.members...) }

func (c *cluster) startRequester(fs vfs.FS) {
	cfg := chain.DefaultDBConfig()
	cfg.MemTableSize, cfg.CacheSize, cfg.FS = 1<<20, 1<<20, fs
	db, err := chain.OpenDB("db", cfg)
	require.NoError(c.t, err)
	rc := DefaultConfig(c.chainID)
	rc.Key, rc.Sched, rc.Require = c.rkey, c.sched, true
	r, err := New(rc, Deps{Net: memEnd{c.net, pub(c.rkey)}, Chain: c.rchain, Store: atteststore.New(db), Directory: c.directory})
	require.NoError(c.t, err)
	c.db, c.req = db, r
	c.net.attach(pub(c.rkey), r)
	r.Start()
}

// crashRequester stops the requester as a crash would: its unsynced
// writes are lost (a crash clone of its file system).
func (c *cluster) crashRequester() {
	c.net.attach(pub(c.rkey), nil)
	c.req.Stop()
	c.fs = c.fs.CrashClone(vfs.CrashCloneCfg{})
	_ = c.db.Close()
	c.startRequester(c.fs)
}

func (c *cluster) stop() {
	c.req.Stop()
	require.NoError(c.t, c.db.Close())
}

// advance makes blocks up to h irreversible at the requester, and at the
// verifiers lag later.
func (c *cluster) advance(h uint64, lag time.Duration) {
	c.rchain.set(h)
	c.req.ChainAdvanced()
	time.AfterFunc(lag, func() {
		c.vchain.set(h)
		for _, v := range c.vers {
			v.ChainAdvanced()
		}
	})
}
