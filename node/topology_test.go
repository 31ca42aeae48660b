package node

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNeighbours(t *testing.T) {
	line, err := Neighbours(TopologyLine, 4, 0, 0)
	require.NoError(t, err)
	require.Equal(t, [][]int{{1}, {0, 2}, {1, 3}, {2}}, line)
	ring, err := Neighbours(TopologyRing, 4, 0, 0)
	require.NoError(t, err)
	require.Equal(t, [][]int{{1, 3}, {0, 2}, {1, 3}, {0, 2}}, ring)
	full, err := Neighbours(TopologyFull, 3, 0, 0)
	require.NoError(t, err)
	require.Equal(t, [][]int{{1, 2}, {0, 2}, {0, 1}}, full)
	rnd, err := Neighbours(TopologyRandom, 20, 4, 7)
	require.NoError(t, err)
	again, _ := Neighbours(TopologyRandom, 20, 4, 7)
	require.Equal(t, rnd, again, "seeded")
	for i, ps := range rnd {
		require.GreaterOrEqual(t, len(ps), 4)
		for _, j := range ps {
			require.Contains(t, rnd[j], i, "symmetric")
		}
	}
	_, err = Neighbours(TopologyRandom, 5, 5, 0)
	require.Error(t, err)
	_, err = Neighbours("star", 5, 0, 0)
	require.ErrorContains(t, err, "unknown topology")
}
