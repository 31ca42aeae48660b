package blocksync

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// bodiesOn returns the ids of the bodies queued from one node to another.
func (n *network) bodiesOn(from, to string) []block.ID {
	var ids []block.ID
	for _, e := range n.msgs {
		if b, ok := e.msg.(*Block); ok && e.from == from && e.to == to {
			ids = append(ids, b.Block.ID())
		}
	}
	return ids
}

// On a local fork switch, the Conn backs up to the common ancestor and sends
// the new fork in order (seed 003: "when switching forks, send all blocks
// from the new fork in order").
func TestForkSwitchSendsNewForkInOrder(t *testing.T) {
	m := &maker{}
	g := m.genesis()
	net := newNetwork(t, DefaultConfig(), g, "a", "b")
	a := net.nodes["a"].chain
	net.connect("a", "b")
	net.stabilize()
	for range 10 {
		net.produce(m, "a", 1, 0)
		net.stabilize()
	}
	net.requireHeadsAgree()
	// a learns a better fork from height 8 (term 2) from somewhere else.
	id7, _ := a.BestAt(7)
	base, _ := a.Block(id7)
	fork := m.extend(t, base, 4, 2, 1, a)
	require.Equal(t, fork[3].ID(), a.Head())
	net.chainChanged("a")
	net.drain("a")
	want := []block.ID{fork[0].ID(), fork[1].ID(), fork[2].ID(), fork[3].ID()}
	require.Equal(t, want, net.bodiesOn("a", "b"))
	net.stabilize()
	net.requireHealthy()
	net.requireHeadsAgree()
}

// Seed 003's "what if": a node announces its chain, then forks away before
// the peer answers. The peer's bodies build on the old fork, which the node
// still holds, so they are accepted; if irreversibility pruned the old fork
// meanwhile, they arrive as orphans and are dropped without penalty, and the
// new head still reaches the peer.
func TestForkAwayWhileHellosInFlight(t *testing.T) {
	for _, prune := range []bool{false, true} {
		m := &maker{}
		g := m.genesis()
		net := newNetwork(t, DefaultConfig(), g, "a", "b")
		a, b := net.nodes["a"].chain, net.nodes["b"].chain
		common := m.extend(t, g, 5, 1, 0, a, b)
		m.extend(t, common[4], 5, 1, 0, b)            // b is ahead on the same chain
		oldFork := m.extend(t, common[4], 2, 1, 1, a) // a on a small fork
		net.connect("a", "b")
		// Before anything is delivered, a switches to a better fork.
		newFork := m.extend(t, common[4], 3, 2, 2, a)
		if prune {
			a.finalize(t, newFork[0].ID())
			_, ok := a.Header(oldFork[1].ID())
			require.False(t, ok)
		}
		net.chainChanged("a")
		net.drain("a")
		net.stabilize()
		net.requireHealthy()
		require.Equal(t, newFork[2].ID(), a.Head())
		require.Equal(t, newFork[2].ID(), b.Head(), "prune=%v", prune)
	}
}
