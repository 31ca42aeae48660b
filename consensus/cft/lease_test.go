package cft

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

// holdInbound queues every message sent to `to` from now until now+d and
// delivers them, in order, when d is over: the answers to a leader sitting
// behind a full FIFO, or in the socket of a process that gets no CPU —
// late, not lost. Later messages pass untouched.
func holdInbound(n *MemNet, to peer.ID, d time.Duration) {
	until := time.Now().Add(d)
	n.SetDrop(func(from, dst peer.ID, payload []byte) bool {
		now := time.Now()
		if dst != to || !now.Before(until) {
			return false
		}
		msg := append([]byte(nil), payload...)
		time.AfterFunc(until.Sub(now), func() { n.deliver(from, []peer.ID{from, dst}, msg) })
		return true
	})
}

// A leader that hears nothing from its followers for 75 ms — their answers
// held, not lost — keeps its office with the default timers: the
// followers, who still hear it, would wait at least HeartbeatTimeout
// (100 ms) before they campaign, so a lease shorter than that only turns a
// stall into a leader change. The netns testnet's leader churn (every
// tenure ended in "failed to contact quorum of nodes, stepping down";
// docs/benchmarks.md, "Issue 19: raft leader churn on shaped links") was
// this. Fails with the old 50 ms lease: the leader steps down at every
// silence.
func TestLeaderKeepsOfficeThroughAShortSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.msg.SetLatency(time.Millisecond)
		w.addNodes(3, 0)
		defer w.stopAll()
		w.progress(3, w.live()...)
		ld := w.leader()
		term := ld.eng.Status().Term
		for range 5 {
			holdInbound(w.msg, peer.ID(ld.addr), 75*time.Millisecond)
			time.Sleep(500 * time.Millisecond)
			st := ld.eng.Status()
			require.Equal(t, raft.Leader.String(), st.State, "the leader abdicated during a 75 ms silence")
			require.Equal(t, term, st.Term, "a new term began")
		}
		w.progress(3, w.live()...)
		w.check()
	})
}

// The same silence past HeartbeatTimeout is a lost leader: it steps down
// and a new term begins (the lease still bounds a deposed leader's belief).
func TestLeaderStepsDownAfterALongSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t)
		w.msg.SetLatency(time.Millisecond)
		w.addNodes(3, 0)
		defer w.stopAll()
		w.progress(3, w.live()...)
		ld := w.leader()
		term := ld.eng.Status().Term
		holdInbound(w.msg, peer.ID(ld.addr), 300*time.Millisecond)
		w.waitFor("the silent leader to step down", func() bool { return ld.eng.Status().State != raft.Leader.String() })
		time.Sleep(300 * time.Millisecond)
		w.progress(3, w.live()...)
		require.Greater(t, w.leader().eng.Status().Term, term)
		w.check()
	})
}
