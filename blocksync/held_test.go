package blocksync

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A tied message waits until the peer has its block, then follows the body
// on the blocks lane; one for a block the peer has goes out at once on the
// sync lane.
func TestTiedMessagesWaitForTheirBlock(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	a, b := newTestChain(g), newTestChain(g)
	blocks := m.extend(t, g, 3, 1, 0, a, b)
	ca, err := New(DefaultConfig(), a, time0)
	require.NoError(t, err)
	ca.Advance()
	stepAll(t, ca, LaneSync, locatorOf(t, DefaultConfig(), b))
	ca.Advance()

	// The peer has blocks[1]: sent now on the sync lane.
	require.NoError(t, ca.SendAfter(time0, blocks[1].ID(), []byte("vote-1")))
	rd := ca.Ready()
	require.Len(t, rd.Messages, 1)
	require.Equal(t, LaneSync, rd.Messages[0].Lane)
	require.Equal(t, &Tied{Block: blocks[1].ID(), Payload: []byte("vote-1")}, rd.Messages[0].Msg)
	ca.Advance()

	// A block the peer lacks, and one nobody has yet: held.
	next := m.child(blocks[2], 1, 0)
	after := m.child(next, 1, 0)
	require.NoError(t, ca.SendAfter(time0, after.ID(), []byte("vote-3")))
	require.NoError(t, ca.SendAfter(time0, next.ID(), []byte("vote-2a")))
	require.NoError(t, ca.SendAfter(time0, next.ID(), []byte("vote-2b")))
	require.False(t, ca.HasReady())

	// We produce next: the body goes out, its votes right behind it, in order.
	require.NoError(t, a.add(next))
	require.NoError(t, ca.ChainChanged(time0))
	var got []string
	for _, msg := range ca.Ready().Messages {
		switch x := msg.Msg.(type) {
		case *Block:
			got = append(got, "block")
			require.Equal(t, LaneBlocks, msg.Lane)
		case *Tied:
			got = append(got, string(x.Payload)+"@"+msg.Lane.String())
		case *Have:
		}
	}
	require.Equal(t, []string{"block", "vote-2a@blocks", "vote-2b@blocks"}, got)
	ca.Advance()

	// The peer gets after from elsewhere and announces it: released on sync.
	require.NoError(t, b.add(next))
	require.NoError(t, b.add(after))
	require.NoError(t, a.add(after))
	require.NoError(t, ca.Step(time0, LaneSync, &Have{Irreversible: g.ID(), Header: after.SignedHeader}))
	rd = ca.Ready()
	require.Len(t, rd.Messages, 2) // our Have of the new head, then the vote
	require.IsType(t, &Have{}, rd.Messages[0].Msg)
	require.Equal(t, &Tied{Block: after.ID(), Payload: []byte("vote-3")}, rd.Messages[1].Msg)
	require.Equal(t, LaneSync, rd.Messages[1].Lane)
}

func TestHeldIsBounded(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	a := newTestChain(g)
	cfg := DefaultConfig()
	cfg.MaxHeld = 2
	ca, err := New(cfg, a, time0)
	require.NoError(t, err)
	x := m.child(g, 1, 0)
	require.NoError(t, ca.SendAfter(time0, x.ID(), nil))
	require.NoError(t, ca.SendAfter(time0, x.ID(), nil))
	require.ErrorIs(t, ca.SendAfter(time0, x.ID(), nil), ErrHeldFull)
}

// Tied messages received are handed to the node.
func TestTiedReceived(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	c, err := New(DefaultConfig(), newTestChain(g), time0)
	require.NoError(t, err)
	tm := &Tied{Block: g.ID(), Payload: []byte("x")}
	require.NoError(t, c.Step(time0, LaneSync, tm))
	require.Equal(t, []*Tied{tm}, c.Ready().Tied)
}
