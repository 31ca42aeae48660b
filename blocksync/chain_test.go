package blocksync

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// testChain is a node's chain for tests: a forkdb.Tree for the blocks above
// the irreversible one, a log for the best chain at and below it, and a body
// store. It is the adapter the simulator and node/ write, in miniature.
type testChain struct {
	// blockReads counts Block calls (a real chain reads and decodes).
	blockReads int
	tree       *forkdb.Tree
	bodies     map[block.ID]*block.Block
	log        map[uint64]block.ID // finalized best chain by height
	// best indexes the best chain above the root by height, for head
	// bestHead; forkdb's BestAt walks from the head, O(distance), so an
	// adapter keeps an index (refreshed lazily, O(blocks changed)).
	best     map[uint64]block.ID
	bestHead block.ID
	// inbound is the node's table shared by its Conns (InboundChain); the
	// test network sets one per node, as node/ and sim/ do.
	inbound *Inbound
}

// Inbound implements InboundChain (nil: each Conn decides alone).
func (c *testChain) Inbound() *Inbound { return c.inbound }

var _ Chain = (*testChain)(nil)

func newTestChain(genesis *block.Block) *testChain {
	id := genesis.ID()
	return &testChain{
		tree:   forkdb.New(genesis.SignedHeader),
		bodies: map[block.ID]*block.Block{id: genesis},
		log:    map[uint64]block.ID{genesis.Height: id},
		best:   map[uint64]block.ID{},
	}
}

func (c *testChain) Head() block.ID         { return c.tree.HeadID() }
func (c *testChain) Irreversible() block.ID { return c.tree.RootID() }

func (c *testChain) BestAt(h uint64) (block.ID, bool) {
	if h <= c.tree.Root().Height {
		id, ok := c.log[h]
		return id, ok
	}
	c.refreshBest()
	if h > c.tree.Head().Height {
		return block.ID{}, false
	}
	id, ok := c.best[h]
	return id, ok
}

func (c *testChain) refreshBest() {
	head := c.tree.HeadID()
	if head == c.bestHead {
		return
	}
	c.bestHead = head
	for h := head.Height() + 1; ; h++ { // forget heights above a shorter head
		if _, ok := c.best[h]; !ok {
			break
		}
		delete(c.best, h)
	}
	root := c.tree.Root().Height
	for id := head; id.Height() > root && c.best[id.Height()] != id; {
		c.best[id.Height()] = id
		hdr, _ := c.tree.Get(id)
		id = hdr.Parent
	}
}

func (c *testChain) Ancestor(id block.ID, h uint64) (block.ID, bool) {
	if !c.has(id) || h > id.Height() {
		return block.ID{}, false
	}
	if h <= c.tree.Root().Height {
		return c.BestAt(h) // id descends from the root, or is in the log
	}
	return c.tree.Ancestor(id, h)
}

func (c *testChain) has(id block.ID) bool {
	if c.tree.Has(id) {
		return true
	}
	l, ok := c.log[id.Height()]
	return ok && l == id
}

func (c *testChain) Header(id block.ID) (block.SignedHeader, bool) {
	if !c.has(id) {
		return block.SignedHeader{}, false
	}
	return c.bodies[id].SignedHeader, true
}

func (c *testChain) Block(id block.ID) (*block.Block, bool) {
	c.blockReads++
	if !c.has(id) {
		return nil, false
	}
	b, ok := c.bodies[id]
	return b, ok
}

// add inserts a block; a duplicate is not an error.
func (c *testChain) add(b *block.Block) error {
	err := c.tree.Insert(b.SignedHeader)
	if forkdb.ReasonOf(err) == forkdb.ReasonDuplicate {
		return nil
	}
	if err == nil {
		c.bodies[b.ID()] = b
	}
	return err
}

// finalize makes id irreversible, logging the best chain up to it.
func (c *testChain) finalize(t testing.TB, id block.ID) {
	t.Helper()
	for a := id; a.Height() > c.tree.Root().Height; {
		c.log[a.Height()] = a
		hdr, ok := c.tree.Get(a)
		require.True(t, ok)
		a = hdr.Parent
	}
	pruned, err := c.tree.SetIrreversible(id)
	require.NoError(t, err)
	for _, p := range pruned {
		delete(c.bodies, p)
	}
}

// maker builds unsigned blocks: blocksync never checks signatures (the node
// does), so tests need only linkage, term, producer and a body.
type maker struct {
	salt     uint64
	bodySize int
}

func producerKey(i int) block.PublicKey {
	var k block.PublicKey
	k[0] = byte(i + 1)
	return k
}

func (m *maker) genesis() *block.Block {
	return &block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 1}}}
}

func (m *maker) child(parent *block.Block, term uint64, producer int) *block.Block {
	m.salt++
	tx := make([]byte, 8+m.bodySize)
	binary.BigEndian.PutUint64(tx, m.salt)
	h := block.Header{
		Height:    parent.Height + 1,
		Parent:    parent.ID(),
		Term:      term,
		Producer:  producerKey(producer),
		Timestamp: int64(m.salt),
	}
	h.TxRoot = block.TxRoot([][]byte{tx})
	return &block.Block{SignedHeader: block.SignedHeader{Header: h}, Txs: [][]byte{tx}}
}

// extend adds n blocks on top of from to every chain given, returning them.
func (m *maker) extend(t testing.TB, from *block.Block, n int, term uint64, producer int, chains ...*testChain) []*block.Block {
	t.Helper()
	out := make([]*block.Block, n)
	for i := range out {
		from = m.child(from, term, producer)
		for _, c := range chains {
			require.NoError(t, c.add(from))
		}
		out[i] = from
	}
	return out
}
