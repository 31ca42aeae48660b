package bftrun

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
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
// so 2 virtual seconds finalize well over 50 blocks on every producer.
func TestClusterCommits(t *testing.T) {
	for _, n := range []int{4, 7} {
		t.Run(string(rune('0'+n)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCluster(t, n, n, 1)
				time.Sleep(2 * time.Second)
				c.requireProgress(50, all(n)...)
				p50, p99, k := c.reg.finality()
				t.Logf("n=%d δ=10ms: %d blocks final at node 0 in 2 s; finality after proposal p50 %v (%.2fδ), p99 %v", n, k, p50, float64(p50)/float64(10*time.Millisecond), p99)
				require.Positive(t, c.chk.voteCount())
			})
		})
	}
}

// One crashed producer of four: the others keep finalizing (a quorum of 3
// remains; the crashed leader's turns are skipped after SkipAfterViews).
func TestClusterOneCrashedProducer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 4, 2)
		time.Sleep(time.Second)
		c.crash(3)
		before := c.finalHeight(0)
		time.Sleep(5 * time.Second)
		c.requireProgress(before+50, 0, 1, 2)
	})
}

// A producer restarted from its durable records replays them: it re-sends
// the votes it made (the checker sees the same votes again, never a
// different one), catches up, and the cluster keeps finalizing. Each node
// in turn crashes at a different moment of its view.
func TestClusterRestartNeverDoubleSigns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 4, 3)
		for round := range 8 {
			time.Sleep(time.Duration(300+37*round) * time.Millisecond)
			i := round % 4
			c.crash(i)
			time.Sleep(time.Duration(5+round*7) * time.Millisecond)
			c.start(i)
		}
		mid := c.finalHeight(0)
		time.Sleep(3 * time.Second)
		c.requireProgress(mid+30, all(4)...)
	})
}

// A crash right after the records are synced and before the votes they
// cover are sent: the runner stops (the store's error), nothing leaves;
// the restarted producer replays the records, re-sends exactly those
// votes and the cluster goes on. On an engine that sent before persisting,
// the checker would fail every vote that leaves without its record.
func TestCrashBetweenPersistAndSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 4, 4)
		time.Sleep(500 * time.Millisecond)
		for i := range 4 {
			nd := c.nodes[i]
			sent := make(chan int, 1)
			nd.store.atCrash = func() { sent <- c.chk.sentBy(nd.pub) }
			nd.store.crashOnVote.Store(true)
			// The runner stops by itself at its next vote.
			select {
			case <-nd.r.Done():
			case <-time.After(5 * time.Second):
				t.Fatalf("node %d never voted", i)
			}
			require.ErrorIs(t, nd.r.Err(), errCrash)
			time.Sleep(50 * time.Millisecond)
			require.Equal(t, <-sent, c.chk.sentBy(nd.pub), "node %d sent after its store failed", i)
			c.crash(i)
			c.start(i)
			time.Sleep(300 * time.Millisecond)
		}
		mid := c.finalHeight(0)
		time.Sleep(2 * time.Second)
		c.requireProgress(mid+30, all(4)...)
	})
}

// A partition of four producers into two halves stops finality (no side
// has a quorum of 3) without any safety violation; when it heals, retries
// carry the certificates across and every producer finalizes again.
func TestClusterPartitionHeals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 4, 5)
		time.Sleep(time.Second)
		ids := func(is ...int) (out []peer.ID) {
			for _, i := range is {
				out = append(out, c.nodes[i].id)
			}
			return out
		}
		c.net.Partition(ids(0, 1), ids(2, 3))
		time.Sleep(time.Second) // votes in flight land
		stuck := c.finalHeight(0)
		time.Sleep(3 * time.Second)
		require.LessOrEqual(t, c.finalHeight(0), stuck+1, "a half finalized without a quorum")
		c.net.Heal()
		time.Sleep(4 * time.Second)
		c.requireProgress(stuck+30, all(4)...)
	})
}

// Seven producers with 5% message loss keep finalizing (retries repair
// lost votes and certificates).
func TestClusterLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 7, 7, 6)
		c.net.SetLoss(0.05)
		time.Sleep(3 * time.Second)
		c.requireProgress(20, all(7)...)
	})
}

// A leader that crashes as its proposal leaves and restarts at once, still
// in its view, never proposes a second block there: its RecNotarized
// record (durable before the block left) stops it. Without the replayed
// records the restarted leader builds another block for the view and the
// checker reports a double notarize.
func TestRestartedLeaderNeverProposesTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 4, 7)
		time.Sleep(300 * time.Millisecond)
		for round := range 8 {
			i := round % 4
			ch := make(chan struct{})
			c.nodes[i].onPropose.Store(&ch)
			<-ch
			c.crash(i)
			c.start(i)
			time.Sleep(100 * time.Millisecond)
		}
		mid := c.finalHeight(0)
		time.Sleep(2 * time.Second)
		c.requireProgress(mid+30, all(4)...)
	})
}
