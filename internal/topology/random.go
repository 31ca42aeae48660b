package topology

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// RandomRegular draws a connected graph in which every node has degree d
// (one node has d-1 when n×d is odd) by pairing stubs at random and
// rejecting results that are disconnected. Build calls it with a source
// seeded by Spec.Seed; the simulator calls it with its run's source, so
// both draw graphs with the same algorithm.
func RandomRegular(n, d int, rng *rand.Rand) (Graph, error) {
	for range 1000 {
		if g, ok := tryPairing(n, d, rng); ok && g.Connected() {
			g.sort()
			return g, nil
		}
	}
	return nil, &Error{"degree", d, fmt.Sprintf("no connected random graph with %d nodes found", n)}
}

// tryPairing pairs stubs one random pair at a time, skipping pairs that
// would make a self-loop or a double edge (Steger–Wormald); plain
// configuration-model rejection almost never succeeds for degree 8. A
// leftover odd stub stays unpaired.
func tryPairing(n, d int, rng *rand.Rand) (Graph, bool) {
	stubs := make([]int, 0, n*d)
	for i := range n {
		for range d {
			stubs = append(stubs, i)
		}
	}
	g := make(Graph, n)
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
