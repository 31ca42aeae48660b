package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// graph is an undirected simple graph as sorted adjacency lists.
type graph [][]int

// buildTopology makes the graph a Config asks for. Only random draws from
// rng, so the graph is part of the seeded run.
func buildTopology(c Config, rng *rand.Rand) (graph, error) {
	n := c.Nodes
	g := make(graph, n)
	switch c.Topology {
	case TopologyLine, TopologyRing:
		for i := 0; i+1 < n; i++ {
			g.link(i, i+1)
		}
		if c.Topology == TopologyRing && n > 2 {
			g.link(n-1, 0)
		}
	case TopologyStar:
		for i := 1; i < n; i++ {
			g.link(0, i)
		}
	case TopologyFull:
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				g.link(i, j)
			}
		}
	case TopologyRandom:
		return randomRegular(n, c.Degree, rng)
	}
	g.sort()
	return g, nil
}

// randomRegular draws a connected graph in which every node has degree d
// (one node has d-1 when n×d is odd) by pairing stubs at random and
// rejecting self-loops, double edges and disconnected results.
func randomRegular(n, d int, rng *rand.Rand) (graph, error) {
	for attempt := 0; attempt < 1000; attempt++ {
		if g, ok := tryPairing(n, d, rng); ok && g.connected() {
			g.sort()
			return g, nil
		}
	}
	return nil, &ConfigError{Field: "degree", Value: d, Reason: fmt.Sprintf("no connected random graph with %d nodes found", n)}
}

// tryPairing pairs stubs one random pair at a time, skipping pairs that
// would make a self-loop or a double edge (Steger–Wormald); plain
// configuration-model rejection almost never succeeds for degree 8.
func tryPairing(n, d int, rng *rand.Rand) (graph, bool) {
	stubs := make([]int, 0, n*d)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			stubs = append(stubs, i)
		}
	}
	g := make(graph, n)
	for len(stubs) > 1 {
		paired := false
		for try := 0; try < 100 && !paired; try++ {
			i, j := rng.IntN(len(stubs)), rng.IntN(len(stubs))
			a, b := stubs[i], stubs[j]
			if i == j || a == b || slices.Contains(g[a], b) {
				continue
			}
			g.link(a, b)
			if i < j {
				i, j = j, i
			}
			stubs = slices.Delete(stubs, i, i+1)
			stubs = slices.Delete(stubs, j, j+1)
			paired = true
		}
		if !paired {
			return nil, false
		}
	}
	return g, true
}

func (g graph) link(a, b int) {
	g[a] = append(g[a], b)
	g[b] = append(g[b], a)
}

func (g graph) sort() {
	for _, adj := range g {
		slices.Sort(adj)
	}
}

func (g graph) connected() bool {
	seen := make([]bool, len(g))
	stack := []int{0}
	seen[0] = true
	count := 1
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range g[v] {
			if !seen[w] {
				seen[w] = true
				count++
				stack = append(stack, w)
			}
		}
	}
	return count == len(g)
}

// edges lists every undirected edge once, as (low, high), in a fixed order.
func (g graph) edges() [][2]int {
	var out [][2]int
	for a, adj := range g {
		for _, b := range adj {
			if a < b {
				out = append(out, [2]int{a, b})
			}
		}
	}
	return out
}
