package attest

import (
	"testing"
	"time"
)

// BenchmarkBlockThroughTheLevels is one block through Dragonchain's four
// levels (3+1+1+1 verifications): the scheduler's work (selection, 6
// signature checks, state changes) plus the verifiers' (lower checks and 6
// signatures), all in one process.
func BenchmarkBlockThroughTheLevels(b *testing.B) {
	fx := newFixture(b)
	s := fx.sched(nil, epoch)
	d := newDrained()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := bid(uint64(i), byte(i>>8))
		id[9], id[10] = byte(i>>16), byte(i>>24)
		if err := s.Add(epoch, id); err != nil {
			b.Fatal(err)
		}
		fx.settle(s, d, epoch, epoch.Add(time.Minute), nil)
		if _, ok := d.proofs[id]; !ok {
			b.Fatal("not finalized")
		}
		delete(d.proofs, id)
	}
}
