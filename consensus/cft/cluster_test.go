package cft

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// TestClusterFaults runs producers and two followers on each in-memory
// transport (MemNet messages, MemNetwork streams) inside a synctest bubble, through a leader crash, a restart from
// the pebble directory, and a partition of the leader, checking after each
// fault that irreversibility resumes and that all nodes agree.
func TestClusterFaults(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("producers=%d", n), func(t *testing.T) {
			forBoth(t, func(t *testing.T, newW func(*testing.T) *world) { clusterFaults(t, newW, n) })
		})
	}
}

func clusterFaults(t *testing.T, newW func(*testing.T) *world, n int) {
	w := newW(t)
	w.addNodes(n, 2)
	defer w.stopAll()
	w.progress(10, w.live()...)
	w.check()

	// Crash the leader: the others elect a new one and carry on.
	old := w.leader()
	term := old.eng.Status().Term
	w.isolate(old, true) // a crashed node receives nothing either
	old.stop(true)
	w.progress(60, w.live()...) // long enough for the log to be truncated past it
	w.check()

	// Restart it from its pebble directory: term and vote come back from
	// disk, and it catches up with the committed chain.
	w.isolate(old, false)
	old.start(nil)
	require.GreaterOrEqual(t, old.eng.Status().Term, term, "term must survive the restart")
	w.progress(10, w.live()...)
	w.check()
	w.mu.Lock()
	require.Positive(t, old.snapshots, "the restarted node restores from a snapshot")
	w.mu.Unlock()

	// Partition the leader away: its lease expires, the majority elects a
	// new leader; the old one commits nothing alone.
	cutOff := w.leader()
	before := cutOff.irrHeight()
	w.isolate(cutOff, true)
	rest := without(w.live(), cutOff)
	w.progress(10, rest...)
	require.Equal(t, before, cutOff.irrHeight(), "a partitioned leader must not commit")
	w.check()

	// Heal: the old leader rejoins as a follower and catches up.
	w.isolate(cutOff, false)
	w.progress(10, w.live()...)
	w.check()
}

// TestUnknownOutcomeApply drives a leader's Apply into ErrLeadershipLost in
// both ways it can end: the entry reached a majority before the leader was
// cut off (the next leader commits it) or it did not (it never commits and
// another block takes its height). Either way the nodes agree.
func TestUnknownOutcomeApply(t *testing.T) {
	for _, reached := range []bool{true, false} {
		t.Run(fmt.Sprintf("reached=%v", reached), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { unknownOutcome(t, reached) })
		})
	}
}

func unknownOutcome(t *testing.T, reached bool) {
	w := newWorld(t)
	var logs syncBuffer
	w.log = zerolog.New(&logs).Level(zerolog.InfoLevel)
	w.setLatency(10 * time.Millisecond)
	w.addNodes(3, 1)
	defer w.stopAll()
	w.progress(5, w.live()...)
	ld := w.leader()

	var victim = make(chan struct{}, 1)
	var victimID = make(chan block.ID, 1)
	w.mu.Lock()
	ld.onBlock = func(id block.ID) {
		w.mu.Lock()
		ld.onBlock = nil
		w.mu.Unlock()
		victimID <- id
		if !reached {
			w.isolate(ld, true) // before the entry leaves the leader
			victim <- struct{}{}
			return
		}
		go func() {
			// The AppendEntries lands after one latency; the replies would
			// land after two. Cut in between.
			time.Sleep(15 * time.Millisecond)
			w.isolate(ld, true)
			victim <- struct{}{}
		}()
	}
	w.mu.Unlock()
	<-victim
	id := <-victimID
	rest := without(w.live(), ld)
	w.progress(5, rest...)
	w.waitFor("the old leader to record an unknown outcome", func() bool { return ld.eng.Status().Lost > 0 })
	require.Contains(t, logs.String(), raft.ErrLeadershipLost.Error(), "the Apply failed with leadership lost")

	w.mu.Lock()
	got, ok := rest[0].chain[id.Height()]
	w.mu.Unlock()
	require.True(t, ok)
	if reached {
		require.Equal(t, id, got, "an entry that reached a majority commits under the next leader")
	} else {
		require.NotEqual(t, id, got, "an entry that never left the leader cannot commit")
	}
	w.isolate(ld, false)
	w.progress(5, w.live()...)
	w.check()
}
