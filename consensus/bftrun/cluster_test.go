package bftrun

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func testLimits() block.Limits { return block.DefaultLimits() }

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Four and seven producers commit: with δ = 10 ms a view takes about 2δ,
// so 5 virtual seconds finalize well over 50 blocks on every producer.
func TestClusterCommits(t *testing.T) {
	for _, n := range []int{4, 7} {
		t.Run(string(rune('0'+n)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCluster(t, n, n, 1)
				time.Sleep(5 * time.Second)
				for i := range n {
					t.Logf("node %d final height %d", i, c.finalHeight(i))
				}
				c.requireProgress(50, all(n)...)
				require.Positive(t, c.chk.voteCount())
			})
		})
	}
}
