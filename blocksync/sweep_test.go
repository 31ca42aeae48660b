package blocksync

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// finalizeAgreed makes irreversible, on every node, the highest block that
// every node has on its best chain: a test oracle for finality that can
// never finalize conflicting blocks.
func (n *network) finalizeAgreed() {
	n.t.Helper()
	first := n.nodes[n.names[0]].chain
	for h := first.Head().Height(); h > first.Irreversible().Height(); h-- {
		id, _ := first.BestAt(h)
		all := true
		for _, name := range n.names[1:] {
			if !n.nodes[name].chain.onBestForTest(id) {
				all = false
				break
			}
		}
		if all {
			for _, name := range n.names {
				x := n.nodes[name]
				if x.chain.Irreversible().Height() < h {
					x.chain.finalize(n.t, id)
					n.chainChanged(name)
					n.drain(name)
				}
			}
			return
		}
	}
}

func (c *testChain) onBestForTest(id block.ID) bool {
	b, ok := c.BestAt(id.Height())
	return ok && b == id
}

// TestRandomNetworks runs seeded random scenarios: several producers taking
// turns by term (so partitions make real forks), random link races,
// connections cut and re-made, finality advancing. Throughout, no correct
// node may reject a block or fault a correct peer (seed 003's invariant), no
// body is echoed (checked on every send), and at the end all heads agree.
func TestRandomNetworks(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runRandomNetwork(t, seed, 5, 200)
		})
	}
}

func runRandomNetwork(t *testing.T, seed uint64, nodes, steps int) {
	rng := rand.New(rand.NewPCG(seed, 42))
	m := &maker{bodySize: rng.IntN(3000)}
	cfg := DefaultConfig()
	cfg.Window = 1024 + rng.IntN(20_000) // small windows exercise acks
	cfg.Prune = rng.IntN(4) != 0
	net := newNetwork(t, cfg, m.genesis(), meshNames(nodes)...)
	net.rng = rand.New(rand.NewPCG(seed, 7))
	type edge struct{ a, b string }
	var edges []edge
	for i := range nodes {
		for j := i + 1; j < nodes; j++ {
			if j == i+1 || rng.IntN(3) == 0 {
				edges = append(edges, edge{net.names[i], net.names[j]})
			}
		}
	}
	up := map[edge]bool{}
	for _, e := range edges {
		net.connect(e.a, e.b)
		up[e] = true
	}
	term := uint64(1)
	for range steps {
		switch r := rng.IntN(100); {
		case r < 15: // a producer extends its own head
			i := rng.IntN(nodes)
			if rng.IntN(4) == 0 {
				term++
			}
			net.produce(m, net.names[i], max(term, headTerm(net.nodes[net.names[i]].chain)), i)
		case r < 20: // cut or restore a link
			e := edges[rng.IntN(len(edges))]
			if up[e] {
				net.disconnect(e.a, e.b)
			} else {
				net.connect(e.a, e.b)
			}
			up[e] = !up[e]
		case r < 23:
			net.finalizeAgreed()
		case r < 26:
			net.tick(time.Duration(rng.IntN(int(2 * cfg.GraftDelay))))
		default:
			for range rng.IntN(20) {
				net.deliverOne()
			}
		}
		net.requireHealthy()
	}
	for _, e := range edges {
		if !up[e] {
			net.connect(e.a, e.b)
		}
	}
	for range 3 {
		net.stabilize()
		net.tick(2 * cfg.GraftDelay)
		net.stabilize()
		net.finalizeAgreed()
	}
	net.stabilize()
	net.requireHealthy()
	net.requireHeadsAgree()
}

func headTerm(c *testChain) uint64 {
	h, _ := c.Header(c.Head())
	return h.Term
}
