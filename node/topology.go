package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Topology is how InitNetwork wires a network's static peers.
type Topology string

// Topologies. Nodes are numbered producers first, so a line puts the full
// nodes at its far end.
const (
	// TopologyFull: every node peers every other (the default).
	TopologyFull Topology = "full"
	// TopologyRing: node i peers i−1 and i+1, wrapping around.
	TopologyRing Topology = "ring"
	// TopologyLine: node i peers i−1 and i+1.
	TopologyLine Topology = "line"
	// TopologyRandom: a ring (so the network is connected) plus random
	// links until every node has at least Degree peers (seeded).
	TopologyRandom Topology = "random"
)

// Neighbours returns each node's peers in topology t over n nodes: a
// symmetric adjacency (both ends list the link, the link layer keeps one
// connection). degree is used by TopologyRandom (at least 2, below n);
// seed makes it reproducible.
func Neighbours(t Topology, n, degree int, seed uint64) ([][]int, error) {
	adj := make([]map[int]bool, n)
	for i := range adj {
		adj[i] = map[int]bool{}
	}
	link := func(a, b int) {
		if a != b {
			adj[a][b], adj[b][a] = true, true
		}
	}
	switch t {
	case TopologyFull, "":
		for i := range n {
			for j := i + 1; j < n; j++ {
				link(i, j)
			}
		}
	case TopologyLine:
		for i := 0; i+1 < n; i++ {
			link(i, i+1)
		}
	case TopologyRing:
		for i := range n {
			link(i, (i+1)%n)
		}
	case TopologyRandom:
		if n > 1 && (degree < 2 || degree >= n) {
			return nil, fmt.Errorf("node: topology random over %d nodes needs 2 ≤ degree < %d, got %d", n, n, degree)
		}
		for i := range n {
			link(i, (i+1)%n)
		}
		rnd := rand.New(rand.NewPCG(seed, 0x746f706f))
		for i := range n {
			for len(adj[i]) < degree {
				link(i, rnd.IntN(n))
			}
		}
	default:
		return nil, fmt.Errorf("node: unknown topology %q (want full, ring, line or random)", t)
	}
	out := make([][]int, n)
	for i, m := range adj {
		for j := range m {
			out[i] = append(out[i], j)
		}
		slices.Sort(out[i])
	}
	return out, nil
}
