package node

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSoloProducesAndFullNodeFollows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 5*time.Second)
		r, err := tn.specs[1].n.Submit(context.Background(), kvTx("a", "1"))
		require.NoError(t, err)
		require.Equal(t, TxIncluded, r.State)
		r, err = tn.specs[1].n.WaitTx(context.Background(), r.Hash, TxIrreversible)
		require.NoError(t, err)
		require.Equal(t, TxIrreversible, r.State)
		tn.converged(5 * time.Second)
	})
}

func TestCFTNetworkProducesConvergesAndCommitsTx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 10*time.Second)
		full := tn.specs[3].n
		r, err := full.Submit(context.Background(), kvTx("k", "v"))
		require.NoError(t, err)
		require.Equal(t, TxIncluded, r.State)
		r, err = full.WaitTx(context.Background(), r.Hash, TxIrreversible)
		require.NoError(t, err)
		tn.converged(5 * time.Second)
	})
}

func (tn *testNet) leader() int {
	for i, sp := range tn.specs {
		if sp.n == nil || !sp.producer {
			continue
		}
		if c := sp.n.Consensus(); c.Raft != nil && c.Raft.State == "Leader" {
			return i
		}
	}
	return -1
}

func TestCFTLeaderKilledIrreversibilityResumesAndRestartCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(4, 10*time.Second)
		var leader int
		waitFor(t, 5*time.Second, "a leader", func() bool { leader = tn.leader(); return leader >= 0 })
		_, irr := tn.specs[3].n.Head()
		killed := time.Now()
		tn.stop(leader, true)
		tn.irreversibleAtLeast(irr.Height+3, 2*time.Second)
		t.Logf("irreversibility resumed %v after the leader was killed", time.Since(killed))

		// The survivors keep taking transactions.
		_, err := tn.specs[3].n.Submit(context.Background(), kvTx("after", "failover"))
		require.NoError(t, err)

		// The killed producer restarts from its pebble directory and catches up.
		tn.start(leader)
		_, irr = tn.specs[3].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 5*time.Second)
		tn.converged(5 * time.Second)
	})
}

func TestFullNodeRestartCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		tn.stop(3, false)
		time.Sleep(3 * time.Second) // ~30 blocks go by
		head, _ := tn.specs[0].n.Head()
		tn.start(3)
		waitFor(t, 5*time.Second, "the restarted node past the old head", func() bool {
			h, _ := tn.specs[3].n.Head()
			return h.Height >= head.Height
		})
		tn.converged(5 * time.Second)
	})
}

// The leader's raft traffic is cut right after it disseminated blocks whose
// ids raft never replicated: the survivors hold those blocks as their best
// head while the raft log ends below them. The new leader must build on the
// committed parent (consensus/cft API-REQUESTS.md; chain.ProduceParams.Parent),
// and its higher term wins fork choice over the uncommitted branch.
func TestCFTLeaderCutFromRaftAfterDissemination(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		// Raft slower than blocksync, so a body is out before its entry commits.
		tn.raft.SetLatency(20 * time.Millisecond)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(4, 10*time.Second)
		var leader int
		waitFor(t, 5*time.Second, "a leader", func() bool { leader = tn.leader(); return leader >= 0 })
		old := tn.specs[leader].n
		// Cut raft at the moment the leader's next block reaches the full
		// node through blocksync, before its raft entry can commit.
		head, _ := old.Head()
		for {
			time.Sleep(time.Millisecond)
			if h, _ := tn.specs[3].n.Head(); h.Height > head.Height {
				break
			}
		}
		tn.raft.Isolate(raftAddr(old), true)
		_, irr := tn.specs[3].n.Head()
		tn.irreversibleAtLeastOn([]int{(leader + 1) % 3, (leader + 2) % 3, 3}, irr.Height+3, 3*time.Second)
		tn.raft.Isolate(raftAddr(old), false)
		_, irr = tn.specs[3].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 5*time.Second)
		tn.converged(5 * time.Second)
	})
}

// Stop on the leader hands leadership over (raft's leadership transfer),
// so production resumes faster than an election timeout would allow.
func TestCFTLeaderStopHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(4, 10*time.Second)
		var leader int
		waitFor(t, 5*time.Second, "a leader", func() bool { leader = tn.leader(); return leader >= 0 })
		_, irr := tn.specs[3].n.Head()
		stopped := time.Now()
		tn.stop(leader, false)
		waitFor(t, 5*time.Second, "a new leader", func() bool { return tn.leader() >= 0 })
		t.Logf("new leader %v after the old one stopped", time.Since(stopped))
		tn.irreversibleAtLeast(irr.Height+2, 2*time.Second)
	})
}

// The whole network stops and starts again from its pebble directories:
// irreversibility survives, raft resumes from its stored term and log, and
// production continues above the old irreversible block.
func TestCFTWholeNetworkRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		tn.irreversibleAtLeast(5, 10*time.Second)
		_, err := tn.specs[3].n.Submit(context.Background(), kvTx("durable", "yes"))
		require.NoError(t, err)
		_, irr := tn.specs[3].n.Head()
		tn.stopAll()

		tn.startAll()
		defer tn.stopAll()
		for _, n := range tn.running() {
			_, got := n.Head()
			require.GreaterOrEqual(t, got.Height, irr.Height-1, "irreversibility survives a restart")
		}
		tn.irreversibleAtLeast(irr.Height+3, 5*time.Second)
		tn.converged(5 * time.Second)
	})
}

type observations struct {
	mu  sync.Mutex
	obs []BlockObservation
}

func (o *observations) ObserveBlock(b BlockObservation) {
	o.mu.Lock()
	o.obs = append(o.obs, b)
	o.mu.Unlock()
}

func TestObserverSeesPropagationDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		obs := &observations{}
		tn.options = map[int][]Option{1: {WithObserver(obs)}}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 5*time.Second)
		obs.mu.Lock()
		defer obs.mu.Unlock()
		require.NotEmpty(t, obs.obs)
		for _, o := range obs.obs {
			// 2 ms of link latency plus serialization; virtual time is exact.
			require.GreaterOrEqual(t, o.Delay, 2*time.Millisecond)
			require.Less(t, o.Delay, 10*time.Millisecond)
			require.Equal(t, tn.specs[0].id, o.From)
		}
	})
}

// CFT with a single producer is a one-voter raft cluster.
func TestCFTSingleProducer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 5*time.Second)
		_, err := tn.specs[1].n.Submit(context.Background(), kvTx("one", "voter"))
		require.NoError(t, err)
	})
}

// Counters add up blocksync's per-link figures.
func TestCountersAggregateLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(10, 10*time.Second)
		full := tn.specs[3].n.Counters()
		require.GreaterOrEqual(t, full.BlocksReceived, uint64(9))
		require.Positive(t, full.BlockBytesIn)
		var sent uint64
		for _, sp := range tn.specs[:3] {
			sent += sp.n.Counters().BlocksSent
		}
		require.Positive(t, sent)
		t.Logf("full node: %d blocks, %d duplicate bodies", full.BlocksReceived, full.BodyDuplicates)
	})
}

// A call whose caller gave up (its context ended while the loop was busy)
// never runs: it would write the caller's results while the caller
// returns them (the race detector caught engineHost.Timestamp in
// TestBFTProducerSetChange4To5To4). One the loop already runs is waited
// for.
func TestAnAbandonedCallNeverRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 0)
		tn.startAll()
		defer tn.stopAll()
		n := tn.specs[0].n
		busy, release := make(chan struct{}), make(chan struct{})
		go func() { _ = n.call(context.Background(), func() { close(busy); <-release }) }()
		<-busy
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ran := false
		require.ErrorIs(t, n.call(ctx, func() { ran = true }), context.DeadlineExceeded)
		close(release)
		require.NoError(t, n.call(context.Background(), func() {}))
		require.False(t, ran, "the abandoned call ran after its caller returned")
	})
}
