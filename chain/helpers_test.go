package chain

import (
	"crypto/ed25519"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func testKey(seed byte) ed25519.PrivateKey {
	var s [ed25519.SeedSize]byte
	s[0] = seed
	return ed25519.NewKeyFromSeed(s[:])
}

// testGenesis is the genesis of every test chain: one transaction setting
// "genesis" = "yes".
func testGenesis(t testing.TB) *block.Block {
	t.Helper()
	g, err := genesisBlock()
	require.NoError(t, err)
	return g
}

func genesisBlock() (*block.Block, error) {
	return block.Seal(block.Header{Height: 1}, [][]byte{set("genesis", "yes")}, nil, testKey(0))
}

// set and del encode one-operation KV transactions.
func set(k, v string) []byte {
	return AppendKVTx(nil, KVOp{Kind: KVSet, Key: []byte(k), Value: []byte(v)})
}
func del(k string) []byte { return AppendKVTx(nil, KVOp{Kind: KVDelete, Key: []byte(k)}) }

// testDBConfig is a small in-memory database config.
func testDBConfig(fs vfs.FS) DBConfig {
	cfg := DefaultDBConfig()
	cfg.FS = fs
	cfg.MemTableSize = 4 << 20
	cfg.CacheSize = 8 << 20
	return cfg
}

// node is a test node: an in-memory database and a chain over it.
type node struct {
	t   testing.TB
	seq int64 // makes every block child seals unique
	fs  vfs.FS
	db  *pebble.DB
	*Chain
}

func newNode(t testing.TB) *node {
	t.Helper()
	return newNodeOn(t, vfs.NewMem())
}

// newNodeOn opens a node on fs, which may already hold its database.
func newNodeOn(t testing.TB, fs vfs.FS) *node {
	t.Helper()
	n := &node{t: t, fs: fs}
	n.open()
	t.Cleanup(func() { n.close() })
	return n
}

func (n *node) open() {
	n.t.Helper()
	db, err := OpenDB("db", testDBConfig(n.fs))
	require.NoError(n.t, err)
	c, err := Open(db, NewKV(DefaultKVLimits()), testGenesis(n.t), Config{Limits: block.DefaultLimits()})
	require.NoError(n.t, err)
	n.db, n.Chain = db, c
}

func (n *node) close() {
	if n.db != nil {
		require.NoError(n.t, n.db.Close())
		n.db = nil
	}
}

// reopen closes the database cleanly and opens the chain again.
func (n *node) reopen() {
	n.t.Helper()
	n.close()
	n.open()
}

// produce builds, seals and adds a block on the head with the given term and
// transactions, which must all be accepted.
func (n *node) produce(term uint64, txs ...[]byte) *block.Block {
	n.t.Helper()
	b, err := n.StartBlock(ProduceParams{Term: term, Timestamp: int64(n.Head().Height)})
	require.NoError(n.t, err)
	for _, tx := range txs {
		require.NoError(n.t, b.ApplyTx(tx))
	}
	blk, _, err := b.Finish(testKey(byte(term)))
	require.NoError(n.t, err)
	return blk
}

// child seals a valid block on parent, which must be in n's fork database
// (so that its state root is known), without adding it.
func (n *node) child(parent block.ID, term uint64, txs ...[]byte) *block.Block {
	n.t.Helper()
	ph, ok := n.Tree().Get(parent)
	require.True(n.t, ok, "parent %s", parent)
	root, ok := n.StateRoot(parent)
	require.True(n.t, ok)
	irr := n.IrreversibleID()
	if ph.Irreversible.Height() > irr.Height() {
		irr = ph.Irreversible
	}
	n.seq++
	h := block.Header{Height: ph.Height + 1, Parent: parent, Term: term, StateRoot: root, Irreversible: irr, Timestamp: n.seq}
	b, err := block.Seal(h, txs, nil, testKey(byte(term)))
	require.NoError(n.t, err)
	return b
}

// add adds a block that must be accepted.
func (n *node) add(b *block.Block) Result {
	n.t.Helper()
	r, err := n.Add(b)
	require.NoError(n.t, err)
	return r
}

// get reads a KV key at the head ("" and false when absent).
func get(t testing.TB, r StateReader, key string) (string, bool) {
	t.Helper()
	v, ok, err := r.Get([]byte(key))
	require.NoError(t, err)
	return string(v), ok
}

// checkConsistent asserts the invariants that tie the log, the fork
// database and the state together.
func checkConsistent(t testing.TB, c *Chain) {
	t.Helper()
	require.NoError(t, c.Log().Verify(c.Genesis()))
	require.Equal(t, c.Tree().Len(), len(c.execs), "one execution result per tree block")
	for id := range c.execs {
		require.True(t, c.Tree().Has(id), "execution result for %s outside the tree", id)
		has, err := c.Log().Has(id)
		require.NoError(t, err)
		require.True(t, has, "tree block %s is stored", id)
	}
	p, ok, err := c.Log().Pointer()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, c.IrreversibleID(), p.ID)
	require.True(t, c.execs[p.ID].ov.durable)
}
