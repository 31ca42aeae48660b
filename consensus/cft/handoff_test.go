package cft

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// TestPlannedShutdownHandsOver: closing the leader transfers leadership, so
// the next block commits sooner than any follower could even notice a dead
// leader (one heartbeat timeout). Virtual time makes the bound exact.
func TestPlannedShutdownHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.addNodes(3, 0)
		defer w.stopAll()
		w.progress(5, w.live()...)
		old := w.leader()
		rest := without(w.live(), old)
		top := rest[0].irrHeight()

		start := time.Now()
		old.stop(false) // Close: hand-off first
		w.waitFor("a block from the new leader", func() bool { return rest[0].irrHeight() > top+1 })
		took := time.Since(start)
		t.Logf("hand-off to the next committed block: %v (virtual)", took)
		require.Less(t, took, DefaultConfig().HeartbeatTimeout, "hand-off took %v", took)
		for _, nd := range rest {
			require.EqualValues(t, 1, nd.eng.Status().Failovers)
		}
		w.check()
	})
}

// TestNewRejectsBadConfig: New validates before touching anything.
func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{}, Deps{})
	require.ErrorIs(t, err, ErrConfig)
	cfg := DefaultConfig()
	cfg.LocalID = "a"
	_, err = New(cfg, Deps{})
	require.ErrorIs(t, err, ErrConfig, "missing dependencies")
}

// TestTransferLeadershipTo: the leader hands office to the voter named, and
// a follower cannot transfer.
func TestTransferLeadershipTo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.addNodes(3, 0)
		defer w.stopAll()
		w.progress(3, w.live()...)
		old := w.leader()
		rest := without(w.live(), old)
		for _, target := range []*tnode{rest[1], rest[0]} {
			cur := w.leader()
			require.ErrorIs(t, without(without(w.live(), cur), target)[0].eng.TransferLeadershipTo(raft.ServerID(target.addr), target.addr), ErrNotLeader)
			require.NoError(t, cur.eng.TransferLeadershipTo(raft.ServerID(target.addr), target.addr))
			w.waitFor("the target leads", func() bool { return w.leader() == target })
			w.progress(2, w.live()...)
		}
		w.check()
	})
}
