package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/internal/topology"
)

// TestBroadcastTopologySeedIsTheTestnetGraph: with TopologySeed the
// simulated graph is the one `blockwire testnet --topology-seed` (and
// node.InitNetwork) wires, so a real testnet's figures can be set next to
// the simulator's for the same graph; without it the run's seed draws it.
func TestBroadcastTopologySeedIsTheTestnetGraph(t *testing.T) {
	cfg := DefaultBroadcastConfig()
	cfg.Nodes, cfg.Degree, cfg.TopologySeed = 8, 3, 1
	r, err := newBcRunner(cfg)
	require.NoError(t, err)
	want, err := topology.Build(topology.Spec{Kind: topology.Random, Nodes: 8, Degree: 3, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, graph(want), r.g)
	require.Contains(t, cfg.Command(), "--topology-seed 1")

	cfg.TopologySeed = 0
	r, err = newBcRunner(cfg)
	require.NoError(t, err)
	require.NotEqual(t, graph(want), r.g, "drawn from the run's seed instead")
}
