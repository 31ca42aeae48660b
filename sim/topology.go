package sim

import (
	"errors"
	"math/rand/v2"

	"github.com/blockwire/blockwire/internal/topology"
)

// graph is internal/topology's Graph (sorted adjacency lists): the
// simulator and testnet share one graph type and one random-graph
// algorithm.
type graph = topology.Graph

// buildTopology makes the graph a Config asks for. Only random draws, and
// it draws from rng (topology.RandomRegular) rather than from a seed of
// its own, so the graph is part of the seeded run: the same run seed gives
// the same graph, and TopologySeed asks topology.Build for testnet's.
// Star is the simulator's own kind (testnet does not offer it).
func buildTopology(c Config, rng *rand.Rand) (graph, error) {
	var g graph
	var err error
	switch c.Topology {
	case TopologyStar:
		g = make(graph, c.Nodes)
		for i := 1; i < c.Nodes; i++ {
			g[0], g[i] = append(g[0], i), []int{0}
		}
	case TopologyRandom:
		g, err = topology.RandomRegular(c.Nodes, c.Degree, rng)
	default:
		g, err = topology.Build(topology.Spec{Kind: topology.Kind(c.Topology), Nodes: c.Nodes})
	}
	if te, ok := errors.AsType[*topology.Error](err); ok {
		return nil, &ConfigError{Field: te.Field, Value: te.Value, Reason: te.Reason}
	}
	return g, err
}
