package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTopologies(t *testing.T) {
	degrees := func(g graph) []int {
		out := make([]int, len(g))
		for i, adj := range g {
			out[i] = len(adj)
		}
		return out
	}
	build := func(topo string, n, d int) graph {
		c := DefaultConfig()
		c.Topology, c.Nodes, c.Degree = topo, n, d
		g, err := buildTopology(c, rand.New(rand.NewPCG(1, 2)))
		require.NoError(t, err)
		require.True(t, g.connected(), topo)
		return g
	}
	require.Equal(t, []int{1, 2, 2, 1}, degrees(build(TopologyLine, 4, 0)))
	require.Equal(t, []int{2, 2, 2, 2}, degrees(build(TopologyRing, 4, 0)))
	require.Equal(t, []int{3, 1, 1, 1}, degrees(build(TopologyStar, 4, 0)))
	require.Equal(t, []int{3, 3, 3, 3}, degrees(build(TopologyFull, 4, 0)))
	for _, d := range degrees(build(TopologyRandom, 50, 8)) {
		require.Equal(t, 8, d)
	}
	require.Len(t, build(TopologyRandom, 200, 8).edges(), 800)
}

func TestRandomTopologyFollowsTheSeed(t *testing.T) {
	c := DefaultConfig()
	c.Nodes, c.Degree = 30, 4
	g1, err := buildTopology(c, rand.New(rand.NewPCG(7, 7)))
	require.NoError(t, err)
	g2, err := buildTopology(c, rand.New(rand.NewPCG(7, 7)))
	require.NoError(t, err)
	g3, err := buildTopology(c, rand.New(rand.NewPCG(8, 8)))
	require.NoError(t, err)
	require.Equal(t, g1, g2)
	require.NotEqual(t, g1, g3)
}
