package topology

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKindsHaveTheirShape(t *testing.T) {
	full, err := Build(Spec{Kind: Full, Nodes: 5})
	require.NoError(t, err)
	require.Len(t, full.Edges(), 10)
	ring, err := Build(Spec{Kind: Ring, Nodes: 5})
	require.NoError(t, err)
	require.Equal(t, []int{1, 4}, ring[0])
	require.Equal(t, 2, ring.Diameter())
	line, err := Build(Spec{Kind: Line, Nodes: 5})
	require.NoError(t, err)
	require.Equal(t, []int{1}, line[0])
	require.Equal(t, 4, line.Diameter())
}

func TestRandomIsRegularConnectedAndSeeded(t *testing.T) {
	for seed := range uint64(50) {
		s := Spec{Kind: Random, Nodes: 16, Degree: 4, Seed: seed}
		g, err := Build(s)
		require.NoError(t, err)
		require.True(t, g.Connected(), "seed %d", seed)
		for i, adj := range g {
			require.Len(t, adj, 4, "seed %d node %d", seed, i)
			require.NotContains(t, adj, i, "self-loop at %d", i)
		}
		again, err := Build(s)
		require.NoError(t, err)
		require.Equal(t, g, again, "same spec, same graph")
	}
	a, _ := Build(Spec{Kind: Random, Nodes: 16, Degree: 4, Seed: 1})
	b, _ := Build(Spec{Kind: Random, Nodes: 16, Degree: 4, Seed: 2})
	require.NotEqual(t, a, b, "the seed picks the graph")
}

func TestOddStubsLeaveOneNodeShort(t *testing.T) {
	g, err := Build(Spec{Kind: Random, Nodes: 7, Degree: 3, Seed: 3})
	require.NoError(t, err)
	short := 0
	for _, adj := range g {
		if len(adj) == 2 {
			short++
		} else {
			require.Len(t, adj, 3)
		}
	}
	require.Equal(t, 1, short)
}

func TestDialersCoverEveryEdgeOnce(t *testing.T) {
	g, err := Build(Spec{Kind: Random, Nodes: 10, Degree: 3, Seed: 9})
	require.NoError(t, err)
	n := 0
	for i, ds := range g.Dialers() {
		for _, j := range ds {
			require.Less(t, i, j)
			require.Contains(t, g[i], j)
			n++
		}
	}
	require.Len(t, g.Edges(), n)
}

func TestValidateNamesTheField(t *testing.T) {
	_, err := Build(Spec{Kind: "star", Nodes: 4})
	var te *Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, "kind", te.Field)
	_, err = Build(Spec{Kind: Random, Nodes: 4, Degree: 4})
	require.ErrorAs(t, err, &te)
	require.Equal(t, "degree", te.Field)
}

func TestSpanCountsHopsBetweenTheFirstNodes(t *testing.T) {
	ring, err := Build(Spec{Kind: Ring, Nodes: 7})
	require.NoError(t, err)
	require.Equal(t, 3, ring.Span(7), "seven producers on a ring are up to three hops apart")
	require.Equal(t, 1, ring.Span(2))
	require.Equal(t, 2, ring.Span(3), "0 and 2 go through 1")
	line, err := Build(Spec{Kind: Line, Nodes: 7})
	require.NoError(t, err)
	require.Equal(t, 6, line.Span(7))
	require.Equal(t, 2, line.Span(3))
	full, err := Build(Spec{Kind: Full, Nodes: 7})
	require.NoError(t, err)
	require.Equal(t, 1, full.Span(7))
	require.Equal(t, 0, full.Span(1))
	require.Equal(t, line.Diameter(), line.Span(len(line)))
	require.Equal(t, -1, Graph{{}, {}}.Span(2), "disconnected")
}
