package blocksync

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// readyConn returns a Conn on chain a whose peer is at b's chain, in Ready.
func readyConn(t *testing.T, a, b *testChain) *Conn {
	t.Helper()
	c, err := New(DefaultConfig(), a, time0)
	require.NoError(t, err)
	c.Advance()
	stepAll(t, c, LaneSync, locatorOf(t, DefaultConfig(), b))
	require.Equal(t, StateReady, c.State())
	c.Advance()
	return c
}

func TestGarbageDisconnectsWithReason(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	c := readyConn(t, newTestChain(g), newTestChain(g))
	require.NoError(t, c.Receive(time0, LaneSync, []byte{Version, 200, 1, 2}))
	rd := c.Ready()
	require.NotNil(t, rd.Disconnect)
	require.Equal(t, ReasonMalformed, rd.Disconnect.Reason)
	require.Equal(t, StateClosed, c.State())
	require.ErrorIs(t, c.Tick(time0), ErrClosed)
}

// A body whose parent the peer cannot believe we have is a fault; bodies a
// correct peer may send in a race are dropped quietly.
func TestBodyScreening(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 10, 1, 0, a, b)
	a.finalize(t, blocks[4].ID())

	// Duplicates (final or not) and a conflicting block at or below our
	// irreversible one: quiet.
	c := readyConn(t, a, b)
	require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(blocks[2])))
	require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(blocks[8])))
	require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(m.child(blocks[1], 1, 1))))
	rd := c.Ready()
	require.Nil(t, rd.Disconnect)
	require.Empty(t, rd.Penalties)
	require.Empty(t, rd.Blocks)
	require.Equal(t, uint64(1), c.Stats().Stale)
	require.Equal(t, uint64(2), c.Stats().Duplicates)

	// Orphan of a pruned fork at a height we told the peer about: quiet.
	orphanParent := m.child(blocks[3], 1, 1) // height 5, conflicts with our irreversible
	orphan := m.child(m.child(orphanParent, 1, 1), 1, 1)
	require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(orphan)))
	require.Nil(t, c.Ready().Disconnect)

	// A parent far above anything we ever had: fault.
	far := blocks[9]
	for range 5 {
		far = m.child(far, 1, 1)
	}
	require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(far)))
	require.Equal(t, ReasonUnknownParent, c.Ready().Disconnect.Reason)

	// Broken height linkage: fault.
	c = readyConn(t, a, b)
	bad := m.child(blocks[9], 1, 0)
	bad.Height = 40
	require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(bad)))
	require.Equal(t, ReasonBadHeight, c.Ready().Disconnect.Reason)
}

// A body with a known parent goes to the node for validation; a pipelined
// body whose parent is the previous body (not yet inserted) does too.
func TestPipelinedBodies(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 3, 1, 0, b)
	c := readyConn(t, a, b)
	for _, blk := range blocks {
		require.NoError(t, c.Step(time0, LaneBlocks, NewBlock(blk)))
	}
	rd := c.Ready()
	require.Nil(t, rd.Disconnect)
	require.Len(t, rd.Blocks, 3)
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	require.NoError(t, cfg.Validate())
	cfg.Window = 10
	_, err := New(cfg, nil, time0)
	require.ErrorContains(t, err, "Config.Window 10")
	cfg = DefaultConfig()
	cfg.GraftDelay = 0
	require.ErrorContains(t, cfg.Validate(), "GraftDelay")
}

// A peer cannot grow our per-producer state without bound.
func TestPruneFloodIsBounded(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	c := readyConn(t, newTestChain(g), newTestChain(g))
	for i := range maxProducers + 10 {
		var k [32]byte
		k[0], k[1], k[2] = byte(i), byte(i>>8), 0xee
		require.NoError(t, c.Step(time0, LaneSync, &Prune{Producer: k}))
	}
	require.Len(t, c.tree.out, maxProducers)
	require.Len(t, c.Ready().Penalties, 10)
}
