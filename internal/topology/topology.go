package topology

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Kind names a topology.
type Kind string

// The kinds Build accepts.
const (
	Full   Kind = "full"
	Ring   Kind = "ring"
	Line   Kind = "line"
	Random Kind = "random"
)

// Kinds lists every Kind, for flag help and validation.
var Kinds = []Kind{Full, Ring, Line, Random}

// Spec says which graph to draw.
type Spec struct {
	Kind  Kind
	Nodes int
	// Degree is each node's number of neighbours; used by Random only,
	// 1 ≤ Degree < Nodes.
	Degree int
	// Seed picks the Random graph; the other kinds ignore it.
	Seed uint64
}

// Error is a Spec that cannot be built, with the field at fault.
type Error struct {
	Field  string
	Value  any
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("topology: %s=%v: %s", e.Field, e.Value, e.Reason)
}

// Validate reports the first problem with s.
func (s Spec) Validate() error {
	switch {
	case !slices.Contains(Kinds, s.Kind):
		return &Error{"kind", s.Kind, "want full, ring, line or random"}
	case s.Nodes < 1:
		return &Error{"nodes", s.Nodes, "want at least 1"}
	case s.Kind == Random && s.Nodes > 1 && (s.Degree < 1 || s.Degree >= s.Nodes):
		return &Error{"degree", s.Degree, fmt.Sprintf("want 1 ≤ degree < nodes (%d)", s.Nodes)}
	case s.Kind == Random && s.Degree == 1 && s.Nodes > 2:
		return &Error{"degree", s.Degree, "a degree-1 graph of more than 2 nodes is never connected"}
	}
	return nil
}

// Graph is an undirected simple graph as sorted adjacency lists: g[i] are
// node i's neighbours.
type Graph [][]int

// Build draws the graph s describes.
func Build(s Spec) (Graph, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n := s.Nodes
	g := make(Graph, n)
	switch s.Kind {
	case Line, Ring:
		for i := 0; i+1 < n; i++ {
			g.link(i, i+1)
		}
		if s.Kind == Ring && n > 2 {
			g.link(n-1, 0)
		}
	case Full:
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				g.link(i, j)
			}
		}
	case Random:
		if n == 1 {
			return g, nil
		}
		return RandomRegular(n, s.Degree, rand.New(rand.NewPCG(s.Seed, 0x746f706f)))
	}
	g.sort()
	return g, nil
}

// Edges lists every undirected edge once, as (low, high), sorted.
func (g Graph) Edges() [][2]int {
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

// Dialers returns, per node, the neighbours it dials: the higher-numbered
// end of each edge, so every edge is dialled from exactly one side.
func (g Graph) Dialers() [][]int {
	out := make([][]int, len(g))
	for _, e := range g.Edges() {
		out[e[0]] = append(out[e[0]], e[1])
	}
	return out
}

// Connected reports whether every node can reach every other.
func (g Graph) Connected() bool {
	if len(g) == 0 {
		return true
	}
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

// Diameter is the most hops between two nodes (-1 when disconnected).
func (g Graph) Diameter() int { return g.Span(len(g)) }

// Span is the most hops between two of the nodes 0..k-1 over paths through
// the whole graph (-1 when two of them are disconnected). With the
// producers numbered first, Span(producers) is how far apart raft's
// messages travel: the input of node.RaftTimersForHops.
func (g Graph) Span(k int) int {
	worst := 0
	for s := 0; s < k && s < len(g); s++ {
		dist := g.hopsFrom(s)
		for t := 0; t < k && t < len(g); t++ {
			if dist[t] < 0 {
				return -1
			}
			worst = max(worst, dist[t])
		}
	}
	return worst
}

// hopsFrom is the breadth-first hop count from s to every node (-1:
// unreachable).
func (g Graph) hopsFrom(s int) []int {
	dist := make([]int, len(g))
	for i := range dist {
		dist[i] = -1
	}
	dist[s] = 0
	queue := []int{s}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g[v] {
			if dist[w] < 0 {
				dist[w] = dist[v] + 1
				queue = append(queue, w)
			}
		}
	}
	return dist
}

func (g Graph) link(a, b int) {
	g[a] = append(g[a], b)
	g[b] = append(g[b], a)
}

func (g Graph) sort() {
	for _, adj := range g {
		slices.Sort(adj)
	}
}
