package rbc

import (
	"fmt"
	"testing"
)

// BenchmarkInstance runs one loss-free instance among n participants in
// the in-test network (every message encoded, decoded and verified: n
// receivers verify each signature) and reports messages per instance.
func BenchmarkInstance(b *testing.B) {
	for _, n := range []int{4, 7, 10} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			nt := newNet(b, n)
			nt.nocheck = true
			payload := make([]byte, 256)
			sent := 0
			for b.Loop() {
				before := nt.sent
				inst := nt.broadcast(0, payload)
				nt.run()
				if _, ok := nt.delivered(n-1, inst); !ok {
					b.Fatal("not delivered")
				}
				sent += nt.sent - before
			}
			b.ReportMetric(float64(sent)/float64(b.N), "msgs/instance")
		})
	}
}
