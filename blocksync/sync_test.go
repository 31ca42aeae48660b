package blocksync

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLocatorHeights(t *testing.T) {
	require.Equal(t, []uint64{5}, locatorHeights(5, 5))
	require.Equal(t, []uint64{6, 5}, locatorHeights(6, 5))
	require.Equal(t, []uint64{10, 9, 8, 6, 2, 1}, locatorHeights(10, 1))
	for _, d := range []uint64{1, 2, 3, 100, 10_000, 1 << 20} {
		hs := locatorHeights(d+1, 1)
		require.Equal(t, uint64(1), hs[len(hs)-1])
		require.LessOrEqual(t, len(hs), 2+bitsLen(d), "distance %d", d)
		for i := 1; i < len(hs); i++ {
			require.Less(t, hs[i], hs[i-1])
		}
	}
}

func bitsLen(d uint64) int {
	n := 0
	for ; d > 0; d >>= 1 {
		n++
	}
	return n
}

// A node 10,000 blocks behind catches up, in order, with a logarithmic
// number of hellos, whether or not the chain is final.
func TestSyncFarBehind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		finalAt  int // blocks final on the ahead node (0: only genesis)
		behindAt int // the behind node's head
	}{
		{"unfinalized", 0, 0},
		{"finalized-ahead", 9_998, 0},
		{"behind-with-history", 9_998, 3_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &maker{bodySize: 100}
			g := m.genesis()
			net := newNetwork(t, DefaultConfig(), g, "a", "b")
			a, b := net.nodes["a"].chain, net.nodes["b"].chain
			blocks := m.extend(t, g, 10_000, 1, 0, a)
			if tc.finalAt > 0 {
				a.finalize(t, blocks[tc.finalAt-1].ID())
			}
			if tc.behindAt > 0 {
				for _, blk := range blocks[:tc.behindAt] {
					require.NoError(t, b.add(blk))
				}
			}
			net.connect("a", "b")
			net.stabilize()
			net.requireHealthy()
			net.requireHeadsAgree()
			hellos := net.hellos()
			t.Logf("hellos for %d behind: %d", 10_000-tc.behindAt, hellos)
			require.LessOrEqual(t, hellos, uint64(64))
			require.Equal(t, uint64(10_000-tc.behindAt), net.nodes["a"].conns["b"].Stats().BlocksSent)
		})
	}
}

// A node on a long losing fork finds the fork point with a logarithmic
// number of hellos and switches to the better chain.
func TestSyncAcrossLongFork(t *testing.T) {
	m := &maker{bodySize: 10}
	g := m.genesis()
	net := newNetwork(t, DefaultConfig(), g, "a", "b")
	a, b := net.nodes["a"].chain, net.nodes["b"].chain
	common := m.extend(t, g, 5_000, 1, 0, a, b)
	tip := common[len(common)-1]
	m.extend(t, tip, 5_000, 2, 0, a)
	m.extend(t, tip, 4_000, 1, 1, b)
	net.connect("a", "b")
	net.stabilize()
	net.requireHealthy()
	net.requireHeadsAgree()
	require.Equal(t, a.Head(), b.Head())
	t.Logf("hellos: %d", net.hellos())
	require.LessOrEqual(t, net.hellos(), uint64(64))
	// a sends exactly its fork: the locator found the fork point at once
	// (b's hellos at 1, 2, 4, ... below its head include the fork point's
	// neighbourhood only approximately, so allow the overshoot).
	sent := net.nodes["a"].conns["b"].Stats().BlocksSent
	t.Logf("a sent %d bodies for its 5,000-block fork", sent)
	require.GreaterOrEqual(t, sent, uint64(5_000))
	require.LessOrEqual(t, sent, uint64(5_000+4_000))
}

// Receiving a body in Start moves the Conn to Ready at once.
func TestBodyInStartShortcutsToReady(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 3, 1, 0, a)
	require.NoError(t, b.add(blocks[0]))
	cb, err := New(DefaultConfig(), b, time0)
	require.NoError(t, err)
	cb.Advance()
	require.Equal(t, StateStart, cb.State())
	require.NoError(t, cb.Step(time0, LaneBlocks, NewBlock(blocks[1])))
	require.Equal(t, StateReady, cb.State())
	rd := cb.Ready()
	require.Len(t, rd.Blocks, 1)
	require.Equal(t, blocks[1].ID(), cb.PeerHead())
}

// Irreversibly forked peers are disconnected with a reason: by both sides
// when their irreversible blocks are at one height, else by the side whose
// irreversible block is higher (the other cannot judge a block it lacks, and
// sees the connection close).
func TestIrreversibleForkDisconnects(t *testing.T) {
	for _, tc := range []struct {
		name       string
		finalA     int
		faultyEnds []string
	}{
		{"same-height", 2, []string{"a", "b"}},
		{"a-higher", 3, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &maker{}
			g := m.genesis()
			net := newNetwork(t, DefaultConfig(), g, "a", "b")
			a, b := net.nodes["a"].chain, net.nodes["b"].chain
			fa := m.extend(t, g, 5, 1, 0, a)
			fb := m.extend(t, g, 3, 1, 1, b)
			a.finalize(t, fa[tc.finalA].ID())
			b.finalize(t, fb[2].ID())
			net.connect("a", "b")
			net.stabilize()
			for _, name := range tc.faultyEnds {
				x := net.nodes[name]
				require.Len(t, x.faults, 1, name)
				require.Equal(t, ReasonIrreversibleFork, x.faults[0].Reason)
				require.Equal(t, StateClosed, x.conns[x.peers[0]].State())
			}
			require.Empty(t, net.nodes["a"].rejected)
			require.Empty(t, net.nodes["b"].rejected)
		})
	}
}
