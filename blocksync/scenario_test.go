package blocksync

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// isolate cuts every link of a node.
func (n *network) isolate(name string) {
	for _, p := range append([]string(nil), n.nodes[name].peers...) {
		n.disconnect(name, p)
	}
}

// A node cut off while the others produce and finalize catches up when its
// links come back, and its own losing fork does not stop it.
func TestIsolatedNodeCatchesUp(t *testing.T) {
	m := &maker{bodySize: 500}
	cfg := DefaultConfig()
	cfg.Window = 4 << 10 // a few bodies: duplicates on rejoin stop at a prune
	net := newMesh(t, cfg, m, 5, rand.New(rand.NewPCG(11, 1)))
	for range 5 {
		net.produce(m, "n0", 1, 0)
		net.settle()
	}
	net.finalizeAgreed()
	net.isolate("n4")
	for range 3 { // n4 builds a losing fork alone
		net.produce(m, "n4", 1, 4)
	}
	for range 40 {
		net.produce(m, "n0", 2, 0)
		net.settle()
	}
	for _, name := range net.names[:4] { // the majority finalizes without n4
		x := net.nodes[name]
		id, _ := x.chain.BestAt(x.chain.Head().Height() - 2)
		x.chain.finalize(t, id)
		net.chainChanged(name)
		net.drain(name)
	}
	for _, p := range net.names[:4] {
		net.connect("n4", p)
	}
	before := net.nodes["n4"].bodies
	net.settle()
	for p, c := range net.nodes["n4"].conns {
		st := c.Stats()
		t.Logf("n4 from %s: bodies %d dups %d stale %d prunes %d grafts %d", p, st.BlocksReceived, st.Duplicates, st.Stale, st.PrunesSent, st.GraftsSent)
	}
	net.requireHealthy()
	net.requireHeadsAgree()
	var hellos uint64
	for _, c := range net.nodes["n4"].conns {
		hellos += c.Stats().HellosSent + c.Stats().HellosReceived
	}
	bodies := net.nodes["n4"].bodies - before
	t.Logf("rejoin: %d hellos over 4 links, %d bodies received for 43 blocks", hellos, bodies)
	// Four links stream at first; each extra one stops after about a window
	// once it delivers a duplicate (flooding would be 4 × 43).
	require.Less(t, bodies, 2*43, "links that deliver duplicates are pruned")
}

// A tree parent that starts withholding (receives, never sends) is routed
// around by grafts; no correct node faults anyone.
func TestWithholdingParentIsRoutedAround(t *testing.T) {
	m := &maker{bodySize: 500}
	net := newMesh(t, DefaultConfig(), m, 6, rand.New(rand.NewPCG(5, 5)))
	for range 10 {
		net.produce(m, "n0", 1, 0)
		net.settle()
	}
	// Pick a relay that is some node's tree parent and make it withhold.
	var bad string
	for _, name := range net.names[1:] {
		for p, c := range net.nodes[name].conns {
			if p != "n0" && c.Mode(producerKey(0)) == ModeActive && c.Stats().BlocksSent > 0 {
				bad = name
			}
		}
	}
	if bad == "" {
		bad = "n1"
	}
	net.hold = func(e envelope) bool { return e.from == bad }
	for range 10 {
		net.produce(m, "n0", 1, 0)
		net.settle()
	}
	head := net.nodes["n0"].chain.Head()
	for _, name := range net.names {
		if name != bad {
			require.Equal(t, head, net.nodes[name].chain.Head(), name)
			require.Empty(t, net.nodes[name].faults, name)
			require.Empty(t, net.nodes[name].rejected, name)
		}
	}
}
