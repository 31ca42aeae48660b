package node

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPropagationRecordsWhenEachBlockBecameIrreversible: every block a
// node holds at or below its irreversible block carries the time it
// became irreversible there, never before the block was made or held,
// and a full node (finality from the certificate in a later block) never
// learns it before the first producer did (from the certificate itself).
// The testnet computes finality latency from these records. Fails on the
// old code: BlockArrival has no Irreversible time.
func TestPropagationRecordsWhenEachBlockBecameIrreversible(t *testing.T) {
	for _, engine := range []Engine{EngineBFT, EngineCFT} {
		t.Run(string(engine), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tn := newTestNet(t, engine, 4, 1)
				tn.startAll()
				defer tn.stopAll()
				tn.irreversibleAtLeast(12, 30*time.Second)
				firstFinal := map[uint64]time.Time{}
				for _, sp := range tn.specs[:4] {
					_, irr := sp.n.Head()
					for _, a := range sp.n.Propagation(3) {
						if a.Height > irr.Height || a.First.IsZero() {
							continue
						}
						require.False(t, a.Irreversible.IsZero(), "%s: block %d is irreversible here", sp.name, a.Height)
						require.False(t, a.Irreversible.Before(a.First), "%s: block %d final before held", sp.name, a.Height)
						require.False(t, a.Irreversible.Before(a.Timestamp), "%s: block %d final before made", sp.name, a.Height)
						if f, ok := firstFinal[a.Height]; !ok || a.Irreversible.Before(f) {
							firstFinal[a.Height] = a.Irreversible
						}
					}
				}
				full := tn.specs[4]
				_, irr := full.n.Head()
				seen := 0
				for _, a := range full.n.Propagation(3) {
					if a.Height > irr.Height || a.First.IsZero() {
						continue
					}
					require.False(t, a.Irreversible.IsZero(), "full node: block %d", a.Height)
					if f, ok := firstFinal[a.Height]; ok {
						require.False(t, a.Irreversible.Before(f), "full node final at %d before any producer", a.Height)
						seen++
					}
				}
				require.Positive(t, seen)
			})
		})
	}
}
