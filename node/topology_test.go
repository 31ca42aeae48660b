package node

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/internal/topology"
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
		require.Len(t, ps, 4, "regular")
		for _, j := range ps {
			require.Contains(t, rnd[j], i, "symmetric")
		}
	}
	_, err = Neighbours(TopologyRandom, 5, 5, 0)
	var te *topology.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, "degree", te.Field)
	_, err = Neighbours("star", 5, 0, 0)
	require.ErrorAs(t, err, &te)
	require.Equal(t, "kind", te.Field)
	def, err := Neighbours("", 3, 0, 0)
	require.NoError(t, err)
	require.Equal(t, full, def, "the default is full")
}

// init --topology line: node i lists its line neighbours only, producers
// too (raft rides routed unicast; before, CFT producers also listed each
// other).
func TestInitNetworkWritesTheTopology(t *testing.T) {
	_, nodes, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 5, Producers: 3, Topology: TopologyLine})
	require.NoError(t, err)
	peersOf := func(i int) []string {
		cfg, err := LoadConfig(nodes[i].ConfigFile)
		require.NoError(t, err)
		return cfg.P2P.StaticPeers
	}
	addrs := func(idx ...int) []string {
		var out []string
		for _, j := range idx {
			out = append(out, nodes[j].PeerAddrs...)
		}
		return out
	}
	require.ElementsMatch(t, addrs(1), peersOf(0), "a producer: its line neighbour only, no raft mesh")
	require.ElementsMatch(t, addrs(1, 3), peersOf(2))
	require.ElementsMatch(t, addrs(2, 4), peersOf(3), "a full node: its line neighbours only")
	require.ElementsMatch(t, addrs(3), peersOf(4))
}

// The raft timers init writes scale with the producers' hop distance
// (cft.HopTimers): a full mesh keeps the defaults, seven producers on a
// ring (three hops apart) get 6×, on a line (six hops) 12×.
func TestInitNetworkScalesRaftTimersWithProducerHops(t *testing.T) {
	def := DefaultConfig().Consensus
	for _, tc := range []struct {
		topo  Topology
		scale int
	}{{TopologyFull, 1}, {TopologyRing, 6}, {TopologyLine, 12}} {
		_, nodes, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 7, Producers: 7, Topology: tc.topo})
		require.NoError(t, err)
		cfg, err := LoadConfig(nodes[4].ConfigFile)
		require.NoError(t, err)
		h := time.Duration(tc.scale)
		require.Equal(t, def.HeartbeatTimeout.Duration*h, cfg.Consensus.HeartbeatTimeout.Duration, tc.topo)
		require.Equal(t, def.ElectionTimeout.Duration*h, cfg.Consensus.ElectionTimeout.Duration, tc.topo)
		require.Equal(t, def.LeaderLeaseTimeout.Duration*h, cfg.Consensus.LeaderLeaseTimeout.Duration, tc.topo)
	}
}
