package blocksync

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func meshNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	return names
}

// newMesh connects every pair of n nodes.
func newMesh(t *testing.T, cfg Config, m *maker, n int, rng *rand.Rand) *network {
	net := newNetwork(t, cfg, m.genesis(), meshNames(n)...)
	net.rng = rng
	for i := range n {
		for j := i + 1; j < n; j++ {
			net.connect(net.names[i], net.names[j])
		}
	}
	net.stabilize()
	return net
}

// bodies returns the total bodies received by every node but the producer.
func (n *network) totalBodies(except string) (total int) {
	for _, name := range n.names {
		if name != except {
			total += n.nodes[name].bodies
		}
	}
	return total
}

// Links start active (flooding); duplicates prune them until each node
// receives each body once: a spanning tree per producer.
func TestPruneBuildsTree(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			m := &maker{bodySize: 1000}
			net := newMesh(t, DefaultConfig(), m, 6, rand.New(rand.NewPCG(seed, 1)))
			for range 5 {
				net.produce(m, "n0", 1, 0)
				net.stabilize()
			}
			before := net.totalBodies("n0")
			const blocks = 20
			for range blocks {
				net.produce(m, "n0", 1, 0)
				net.stabilize()
			}
			net.requireHealthy()
			net.requireHeadsAgree()
			copies := float64(net.totalBodies("n0")-before) / float64(blocks*5)
			t.Logf("copies per node per block, blocks 6-25: %.2f (blocks 1-5: %d bodies)", copies, before)
			require.LessOrEqual(t, copies, 1.05)
			before = net.totalBodies("n0")
			for range blocks {
				net.produce(m, "n0", 1, 0)
				net.stabilize()
			}
			require.Equal(t, blocks*5, net.totalBodies("n0")-before, "converged: once per node per block")
		})
	}
}

// With pruning off every active link pushes what the peer lacks: flooding.
func TestFloodWithoutPrune(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Prune = false
	m := &maker{bodySize: 1000}
	net := newMesh(t, cfg, m, 6, rand.New(rand.NewPCG(7, 1)))
	for range 20 {
		net.produce(m, "n0", 1, 0)
		net.stabilize()
	}
	net.requireHealthy()
	net.requireHeadsAgree()
	copies := float64(net.totalBodies("n0")) / float64(20*5)
	t.Logf("flood copies per node per block: %.2f", copies)
	require.Greater(t, copies, 1.0)
}

// When the tree path is late, a backup link that announced the block is
// grafted after GraftDelay and the body pulled; the late copy then prunes
// the old path, so the tree repairs itself.
func TestGraftRepairsLatePath(t *testing.T) {
	cfg := DefaultConfig()
	m := &maker{bodySize: 1000}
	net := newMesh(t, cfg, m, 4, nil)
	for range 10 {
		net.produce(m, "n0", 1, 0)
		net.stabilize()
	}
	// Find n3's tree parent: the one link still active towards it.
	var parent string
	for _, p := range []string{"n0", "n1", "n2"} {
		if net.nodes[p].conns["n3"].Mode(producerKey(0)) == ModeActive {
			require.Empty(t, parent, "two active links into n3")
			parent = p
		}
	}
	require.NotEmpty(t, parent)
	// Its blocks lane to n3 becomes slow.
	slow := true
	net.hold = func(e envelope) bool { return slow && e.from == parent && e.to == "n3" && e.lane == LaneBlocks }
	b := net.produce(m, "n0", 1, 0)
	net.stabilize()
	n3 := net.nodes["n3"]
	require.NotEqual(t, b.ID(), n3.chain.Head(), "the body is stuck on the slow path")
	dl := n3.conns[anyOtherThan(parent, "n0", "n1", "n2")].Ready().Deadline
	require.False(t, dl.IsZero(), "a graft is armed")
	net.tick(cfg.GraftDelay / 2)
	net.stabilize()
	require.NotEqual(t, b.ID(), n3.chain.Head(), "no graft before GraftDelay")
	net.tick(cfg.GraftDelay)
	net.stabilize()
	require.Equal(t, b.ID(), n3.chain.Head(), "grafted and pulled")
	var grafts uint64
	for _, c := range n3.conns {
		grafts += c.Stats().GraftsSent
	}
	require.GreaterOrEqual(t, grafts, uint64(1))
	// The late copy arrives: a duplicate, so n3 prunes the old path.
	slow = false
	net.stabilize()
	require.Equal(t, ModeBackup, net.nodes[parent].conns["n3"].Mode(producerKey(0)))
	net.requireHealthy()
	// The repaired tree delivers each further block once.
	before := n3.bodies
	for range 5 {
		net.produce(m, "n0", 1, 0)
		net.stabilize()
	}
	require.Equal(t, 5, n3.bodies-before)
	net.requireHeadsAgree()
}

func anyOtherThan(x string, names ...string) string {
	for _, n := range names {
		if n != x {
			return n
		}
	}
	return ""
}

// Two producers taking turns by term each get their own tree: after the
// warm-up every node receives every body once, with no grafts: a node
// announces every new head to every peer, so a parent stuck behind another
// producer's block learns at once that the child's parent is there.
func TestTreePerProducer(t *testing.T) {
	m := &maker{bodySize: 1000}
	net := newMesh(t, DefaultConfig(), m, 6, rand.New(rand.NewPCG(3, 3)))
	term := uint64(1)
	produce := func(rounds int) {
		for range rounds {
			for _, p := range []int{0, 3} {
				term++
				for range 3 {
					net.produce(m, net.names[p], term, p)
					net.settle()
				}
			}
		}
	}
	grafts := func() (n uint64) {
		for _, name := range net.names {
			for _, c := range net.nodes[name].conns {
				n += c.Stats().GraftsSent
			}
		}
		return n
	}
	produce(4)
	g0 := grafts()
	before := 0
	for _, name := range net.names {
		before += net.nodes[name].bodies
	}
	produce(5)
	after := 0
	for _, name := range net.names {
		after += net.nodes[name].bodies
	}
	net.requireHealthy()
	net.requireHeadsAgree()
	// 30 blocks, each received by the 5 nodes that did not produce it.
	t.Logf("copies per node per block: %.2f, grafts %d", float64(after-before)/150, grafts()-g0)
	require.Equal(t, 30*5, after-before)
	require.Zero(t, grafts()-g0)
	active := func(p int) (links int) {
		for _, name := range net.names {
			for _, c := range net.nodes[name].conns {
				if c.Mode(producerKey(p)) == ModeActive {
					links++
				}
			}
		}
		return links
	}
	// Links towards the producer stay active but idle (their receiver
	// never lacks a block): what matters is that bodies arrive once.
	t.Logf("active link directions: producer 0: %d, producer 3: %d (of %d)", active(0), active(3), 6*5)
}

// Off never sends a body, not even when grafted; announcements still flow.
func TestModeOff(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 3, 1, 0, a)
	c, err := New(DefaultConfig(), a, time0)
	require.NoError(t, err)
	require.NoError(t, c.SetMode(time0, ModeOff))
	stepAll(t, c, LaneSync, locatorOf(t, DefaultConfig(), b))
	require.NoError(t, c.Step(time0, LaneSync, &Graft{Producer: producerKey(0), Want: blocks[2].ID()}))
	n, _ := bodyBytes(c.Ready())
	require.Zero(t, n)
	c.Advance()
	require.Equal(t, ModeOff, c.Mode(producerKey(0)))
	require.NoError(t, c.SetMode(time0, ModeActive))
	n, _ = bodyBytes(c.Ready())
	require.Greater(t, n, 0)
}
