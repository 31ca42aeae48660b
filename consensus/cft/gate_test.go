package cft

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestGateWaitsForBodies(t *testing.T) {
	g := NewGate(idAt(1, 0))
	_, moved := g.Committed(idAt(2, 1))
	require.False(t, moved, "no body yet")
	_, moved = g.Committed(idAt(3, 1))
	require.False(t, moved)
	require.Equal(t, []block.ID{idAt(2, 1), idAt(3, 1)}, g.Missing())

	_, moved = g.Arrived(idAt(3, 9)) // a fork's body: never committed
	require.False(t, moved)
	irr, moved := g.Arrived(idAt(2, 1))
	require.True(t, moved)
	require.Equal(t, idAt(2, 1), irr)
	irr, moved = g.Arrived(idAt(3, 1))
	require.True(t, moved)
	require.Equal(t, idAt(3, 1), irr)
	require.Empty(t, g.Missing())

	// Replays at or below the irreversible block change nothing.
	_, moved = g.Committed(idAt(2, 1))
	require.False(t, moved)
}

func TestGateBodyBeforeCommit(t *testing.T) {
	g := NewGate(idAt(1, 0))
	g.Arrived(idAt(2, 1))
	g.Arrived(idAt(3, 1))
	irr, moved := g.Committed(idAt(3, 1)) // committing 3 commits 2
	require.True(t, moved)
	require.Equal(t, idAt(3, 1), irr)
}

func TestFromHeader(t *testing.T) {
	cur := idAt(5, 1)
	h := block.Header{Height: 9, Irreversible: idAt(7, 1)}
	got, ok := FromHeader(cur, &h)
	require.True(t, ok)
	require.Equal(t, idAt(7, 1), got)
	h.Irreversible = idAt(4, 1)
	got, ok = FromHeader(cur, &h)
	require.False(t, ok, "irreversibility never moves back")
	require.Equal(t, cur, got)
}
