package bft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTwinsCampaign enumerates Twins scenarios for n = 4, f = 1 (Bano et
// al., OPODIS 2021): each signer in turn runs as two correct engines with
// one key, the two twins are put on opposite sides of a partition, and
// every placement of the three other producers is tried, with the
// partition lasting through 1, 3 or 6 leader rotations' worth of time
// before it heals. Twins make equivocation, double votes and lost
// locks out of unmodified code; the checkers must find nothing, and every
// correct node must finalize 10 blocks after the heal.
func TestTwinsCampaign(t *testing.T) {
	const n = 4
	d := 10 * time.Millisecond
	m := newMemo()
	runs, equivocated := 0, 0
	for twin := range n {
		// Instance ids: signers below the twin keep their index, the twin
		// has ids twin and twin+1, the signers above it shift by one.
		a, b := twin, twin+1
		for others := range uint64(1 << (n - 1)) {
			for _, length := range []time.Duration{8 * d, 24 * d, 48 * d} {
				side := uint64(1) << b // twin b on side B, twin a on side A
				k := 0
				for id := range n + 1 {
					if id == a || id == b {
						continue
					}
					if others&(1<<k) != 0 {
						side |= 1 << id
					}
					k++
				}
				sc := scenario{seed: uint64(runs + 1), n: n, delta: d, twins: []int{twin},
					parts: []partition{{from: 0, to: length, side: side}}, prefix: length, post: 200 * d}
				if runScenario(t, sc, 10, m).byzDoubleSigns > 0 {
					equivocated++
				}
				runs++
			}
		}
	}
	t.Logf("%d twins scenarios, %d with conflicting votes under the twin key", runs, equivocated)
	require.Positive(t, equivocated, "the twins never equivocated: the campaign tests nothing")
}
