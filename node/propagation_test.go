package node

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// Every block a node holds is in its propagation table: made here on the
// producer (no copies), received at least once elsewhere, and the copies a
// node counted equal the bodies blocksync counted (accepted + duplicates).
// Fails on the old code: there is no per-block record at all.
func TestPropagationCountsEveryBodyPerBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 2)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(10, 10*time.Second)
		_, _ = tn.converged(10 * time.Second)
		produced := map[uint64]int{}
		for _, sp := range tn.specs {
			c := sp.n.Counters()
			var copies, made uint64
			for _, a := range sp.n.Propagation(2) {
				if a.Produced {
					made++
					produced[a.Height]++
					require.Zero(t, a.Copies, "%s: a producer receives no copy of its own block %d here", sp.name, a.Height)
					continue
				}
				copies += uint64(a.Copies)
				if a.Copies > 0 && !a.First.IsZero() {
					require.False(t, a.First.Before(a.Timestamp), "%s: block %d arrived before it was made", sp.name, a.Height)
				}
			}
			require.Equal(t, c.Produced, made, "%s: every block it made is recorded", sp.name)
			require.LessOrEqual(t, copies, c.BlocksReceived+c.BodyDuplicates+c.Duplicates, sp.name)
			require.GreaterOrEqual(t, copies, c.BlocksReceived, "%s: every accepted body counts once", sp.name)
		}
		// Above genesis+1 every height was produced exactly once.
		for h, k := range produced {
			require.Equal(t, 1, k, "height %d produced %d times", h, k)
		}
		full := tn.specs[3].n.Propagation(2)
		require.NotEmpty(t, full)
		for _, a := range full {
			require.GreaterOrEqual(t, a.Copies, 1, "full node lacks a copy of %d", a.Height)
			require.Equal(t, "blocksync", a.Relay)
		}
	})
}
