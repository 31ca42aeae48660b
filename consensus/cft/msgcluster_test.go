package cft

import (
	"bytes"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

// TestMsgClusterCommitsWithLoss: five producers whose every message is
// lost with probability 5% keep committing blocks, and agree. Loss turns
// into RPC timeouts that raft retries, never into a hang.
func TestMsgClusterCommitsWithLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.msg.SetLatency(time.Millisecond)
		w.msg.SetLoss(0.05)
		w.addNodes(5, 1)
		defer w.stopAll()
		w.progress(50, w.live()...)
		w.check()
		_, _, lost := w.msg.Stats()
		require.Positive(t, lost, "the network lost messages")
	})
}

// TestMsgClusterOverRelays: producers on a line p0-p1-p2-p3-p4 where every
// message between non-neighbours is relayed hop by hop (2 ms per hop): no
// producer talks to a non-neighbour directly, and the cluster still
// commits, survives the leader's crash, and agrees.
func TestMsgClusterOverRelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.msg.SetLatency(2 * time.Millisecond)
		const n = 5
		id := func(i int) peer.ID { return peer.ID(fmt.Sprintf("p%d", i)) }
		for a := range n {
			for b := a + 2; b < n; b++ {
				var via []peer.ID
				for k := a + 1; k < b; k++ {
					via = append(via, id(k))
				}
				w.msg.Route(id(a), id(b), via...)
			}
		}
		w.addNodes(n, 0)
		defer w.stopAll()
		w.progress(10, w.live()...)
		// Crash an end of the line if it leads, else p4: relays stay up.
		ld := w.leader()
		victim := w.nodes[n-1]
		if ld == w.nodes[0] {
			victim = ld
		}
		w.isolate(victim, true)
		victim.stop(true)
		w.progress(10, w.live()...)
		w.check()
	})
}

// TestMsgPartitionedLeaderStepsDown: a leader cut off from every other
// producer stops leading within a few lease timeouts (raft's lease check
// counts only answers that arrive), commits nothing alone, and the
// majority elects another leader and goes on.
func TestMsgPartitionedLeaderStepsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.msg.SetLatency(time.Millisecond)
		w.addNodes(5, 0)
		defer w.stopAll()
		w.progress(5, w.live()...)
		ld := w.leader()
		before := ld.irrHeight()
		w.isolate(ld, true)
		start := time.Now()
		w.waitFor("the partitioned leader to step down", func() bool { return ld.eng.Status().State != raft.Leader.String() })
		stepDown := time.Since(start)
		t.Logf("stepped down after %v", stepDown)
		require.Less(t, stepDown, 10*testConfig("x", w.genesis).LeaderLeaseTimeout)
		rest := without(w.live(), ld)
		w.progress(10, rest...)
		require.Equal(t, before, ld.irrHeight(), "a partitioned leader must not commit")
		require.NotSame(t, ld, w.leader())
		w.isolate(ld, false)
		w.progress(5, w.live()...)
		w.check()
	})
}

// TestMsgSnapshotInstallsOverMessages: a server added after the log was
// compacted receives raft's InstallSnapshot, here about 60 times the
// messenger's MaxPayload, in chunks, and ends with the same FSM.
func TestMsgSnapshotInstallsOverMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxPayload = 1024
		tune := func(rc *raft.Config) {
			rc.SnapshotThreshold, rc.TrailingLogs, rc.SnapshotInterval = 50, 10, 50*time.Millisecond
		}
		c := newRawCluster(t, NewMemNet(1, maxPayload), nil, 3, tune)
		defer c.close()
		c.msg.SetLatency(time.Millisecond)
		ld := c.leader()
		for i := range 300 {
			require.NoError(t, ld.r.Apply(bytes.Repeat([]byte{byte(i)}, 200), time.Second).Error())
		}
		require.NoError(t, ld.r.Snapshot().Error())

		var chunks int
		c.msg.SetDrop(func(_, to peer.ID, p []byte) bool {
			if to == "r3" && len(p) > 1 && p[1] == kindChunk {
				chunks++
			}
			return false
		})
		joiner := c.add("r3", nil, tune)
		require.NoError(t, ld.r.AddVoter("r3", "r3", 0, time.Second).Error())
		deadline := time.Now().Add(30 * time.Second)
		for len(joiner.fsm.Logs()) < 300 {
			require.True(t, time.Now().Before(deadline), "the joiner has %d of 300 entries", len(joiner.fsm.Logs()))
			time.Sleep(10 * time.Millisecond)
		}
		require.Equal(t, ld.fsm.Logs()[:300], joiner.fsm.Logs()[:300])
		require.NotEqual(t, "0", joiner.r.Stats()["last_snapshot_index"], "the joiner restored a snapshot")
		require.Greater(t, chunks, 50, "the snapshot travelled in chunks")
		t.Logf("snapshot chunks to the joiner: %d", chunks)
	})
}
