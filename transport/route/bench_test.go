package route

import (
	"testing"
	"time"
)

// BenchmarkRouteDataSubmitReply measures one routed submit and its signed
// answer (ClassTransaction, a reply class), encoded and decoded at every
// hop as on the wire: "direct" is origin and destination as neighbours
// (the node hand-off case), "line3" has one relay between them. Compare
// Verifications per op with the signature-check rule (doc.go).
func BenchmarkRouteDataSubmitReply(b *testing.B) {
	for _, bc := range []struct {
		name string
		n    int
	}{{"direct", 2}, {"line3", 3}} {
		b.Run(bc.name, func(b *testing.B) {
			nt := newNet(b, bc.n, func(i int, c *Config) {
				c.ReplyClasses = []Class{ClassTransaction}
			})
			for i := 0; i+1 < bc.n; i++ {
				nt.connect(i, i+1, ms)
			}
			nt.run(time.Second)
			last := bc.n - 1
			before := uint64(0)
			for i := range nt.nodes {
				before += nt.nodes[i].Stats().Verifications
			}
			payload := []byte("a transaction of moderate size, about a hundred bytes long, as a kv put would be....")
			b.ResetTimer()
			for range b.N {
				seq, err := nt.nodes[0].Send(nt.now, nt.ids[last], ClassTransaction, payload)
				if err != nil {
					b.Fatal(err)
				}
				nt.pump()
				if err := nt.nodes[last].Reply(nt.now, nt.ids[0], seq, ClassTransaction, []byte("ok")); err != nil {
					b.Fatal(err)
				}
				nt.pump()
			}
			b.StopTimer()
			after := uint64(0)
			for i := range nt.nodes {
				after += nt.nodes[i].Stats().Verifications
			}
			if len(nt.replies[0]) != b.N {
				b.Fatalf("%d replies for %d submits", len(nt.replies[0]), b.N)
			}
			b.ReportMetric(float64(after-before)/float64(b.N), "verifies/op")
		})
	}
}

// pump delivers every pending frame at once (no latency, no timers) until
// the network is quiet: the benchmark measures the per-message work, not
// the harness's clock.
func (nt *tnet) pump() {
	for i := range nt.nodes {
		nt.flush(i)
	}
	for len(nt.queue) > 0 {
		f := nt.queue[0]
		nt.queue = nt.queue[1:]
		if err := nt.nodes[f.to].Receive(nt.now, nt.ids[f.from], f.b); err != nil {
			nt.t.Fatal(err)
		}
		nt.flush(f.to)
	}
	nt.delivered = make([][]Delivery, len(nt.nodes))
}
