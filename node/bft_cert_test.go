package node

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// A full node makes a BFT block irreversible when the producer that
// proposed it publishes the finalization certificate, not only when a
// later block carries it: with one-second block intervals and 2 ms links
// the full node holds its head block irreversible long before the next
// block exists. Fails on the old code: a full node learned finality only
// from a later block's body, so its irreversible block always stayed
// below its head.
func TestBFTFullNodeFinalityFromPublishedCertificates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineBFT, 4, 1)
		tn.tweak = map[int]func(*Config){}
		for i := range tn.specs {
			tn.tweak[i] = func(c *Config) {
				c.Consensus.BlockInterval = Duration{Duration: time.Second}
				c.Consensus.BFTLeaderTimeout = Duration{Duration: 3 * time.Second}
			}
		}
		tn.startAll()
		defer tn.stopAll()
		full := tn.specs[4].n
		tn.irreversibleAtLeast(3, 30*time.Second)
		for range 3 {
			head, _ := full.Head()
			waitFor(t, 3*time.Second, "the full node's head block irreversible before the next block", func() bool {
				h, irr := full.Head()
				return h.Height > head.Height && irr.ID == h.ID
			})
			h, irr := full.Head()
			require.Equal(t, h.ID, irr.ID)
		}
		require.Zero(t, full.Counters().Rejected["bft-cert-bad-certificate"])
		tn.converged(10 * time.Second)
	})
}
