package blocksync

import "testing"

// BenchmarkStreamCatchUp streams a 1,000-block chain from one Conn to a
// fresh peer through the in-test network: the per-block cost of both ends
// (send, screen, insert, announce, ack). Report it as a ratio against a
// baseline taken in the same run; the machine is shared.
func BenchmarkStreamCatchUp(b *testing.B) {
	m := &maker{bodySize: 100}
	g := m.genesis()
	blocks := m.extend(b, g, 1_000, 1, 0)
	b.ResetTimer()
	for range b.N {
		net := newNetwork(b, DefaultConfig(), g, "a", "b")
		a := net.nodes["a"].chain
		for _, blk := range blocks {
			if err := a.add(blk); err != nil {
				b.Fatal(err)
			}
		}
		net.connect("a", "b")
		net.stabilize()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(blocks)), "ns/block")
}

// BenchmarkMeshBlock measures one block produced and relayed through a
// 12-node full mesh with pruning on (after warm-up): the cost of the tree
// path per node and link.
func BenchmarkMeshBlock(b *testing.B) {
	m := &maker{bodySize: 100}
	net := newNetwork(b, DefaultConfig(), m.genesis(), meshNames(12)...)
	for i := range 12 {
		for j := i + 1; j < 12; j++ {
			net.connect(net.names[i], net.names[j])
		}
	}
	for range 20 {
		net.produce(m, "n0", 1, 0)
		net.stabilize()
	}
	b.ResetTimer()
	for range b.N {
		net.produce(m, "n0", 1, 0)
		net.stabilize()
	}
}
