package route

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const ms = time.Millisecond

// RFC 8966 §3.2.1: seqnos compare modulo 2¹⁶; 0 is newer than 65535.
func TestNewerWrapsAround(t *testing.T) {
	require.True(t, newer(1, 0))
	require.True(t, newer(0, 65535))
	require.False(t, newer(65535, 0))
	require.False(t, newer(7, 7))
	require.True(t, newer(0x7fff, 0))
	require.False(t, newer(0x8000, 0), "exactly half the space apart is not newer")
	require.True(t, newer(5, 65530))
}

func TestLineConvergesThroughTheMiddle(t *testing.T) {
	nt := newLine(t, 3, nil)
	require.Equal(t, []int{0, 1, 2}, nt.path(0, 2))
	require.Equal(t, []int{2, 1, 0}, nt.path(2, 0))
	ri := nt.nodes[0].Routes()
	require.Len(t, ri, 2)
	for _, x := range ri {
		require.True(t, x.Reachable)
	}
	// Two hops of 10 ms RTT: about 2 × (100 + HopCost) units.
	for _, x := range ri {
		if x.Dest == nt.ids[2] {
			require.InDelta(t, 220, int(x.Metric), 10)
		}
	}
}

func TestRTTMetricPrefersTheFastPath(t *testing.T) {
	// 0-1-3 is two 5 ms hops; 0-2-3 is two 40 ms hops.
	nt := newNet(t, 4, nil)
	nt.connect(0, 1, 5*ms)
	nt.connect(1, 3, 5*ms)
	nt.connect(0, 2, 40*ms)
	nt.connect(2, 3, 40*ms)
	nt.run(2 * time.Second)
	require.Equal(t, []int{0, 1, 3}, nt.path(0, 3))
}

func TestSilentLinkFailureReroutesWithinTheHoldTime(t *testing.T) {
	nt := newNet(t, 4, nil)
	nt.connect(0, 1, 5*ms)
	nt.connect(1, 3, 5*ms)
	nt.connect(0, 2, 20*ms)
	nt.connect(2, 3, 20*ms)
	nt.run(2 * time.Second)
	require.Equal(t, []int{0, 1, 3}, nt.path(0, 3))
	nt.cut(1, 3)
	nt.run(time.Second) // hold is 625 ms at 250 ms hellos
	require.Equal(t, []int{0, 2, 3}, nt.path(0, 3))
	require.Equal(t, []int{1, 0, 2, 3}, nt.path(1, 3))
}

func TestCleanCloseReroutesAtOnce(t *testing.T) {
	// Through 1: 50 ms RTT; through 2: 60 ms, but 2's own metric (50 ms)
	// is below 0's feasibility distance, so 2 is a feasible alternative.
	nt := newNet(t, 4, nil)
	nt.connect(0, 1, 20*ms)
	nt.connect(1, 3, 5*ms)
	nt.connect(0, 2, 5*ms)
	nt.connect(2, 3, 25*ms)
	nt.run(2 * time.Second)
	require.Equal(t, []int{0, 1, 3}, nt.path(0, 3))
	nt.close(0, 1)
	require.Equal(t, []int{0, 2, 3}, nt.path(0, 3), "a feasible alternative is taken at the same instant")
}

// RFC 8966 §3.8: when every route is unfeasible, a seqno request reaches
// the source, which bumps its seqno, and the routes come back.
func TestStarvationIsResolvedBySeqnoRequests(t *testing.T) {
	// D=0 is reached by B=1 over a fast link; A=2 goes through B; C=3
	// has a slow link to D. When B-D fails, B's only route (through A) and
	// A's route through C are both unfeasible.
	nt := newNet(t, 4, nil)
	nt.connect(0, 1, 2*ms)
	nt.connect(1, 2, 2*ms)
	nt.connect(2, 3, 2*ms)
	nt.connect(3, 0, 60*ms)
	nt.run(2 * time.Second)
	require.Equal(t, []int{2, 1, 0}, nt.path(2, 0))
	bumps := nt.nodes[0].Stats().Bumps
	nt.close(0, 1)
	nt.run(2 * time.Second)
	require.Equal(t, []int{1, 2, 3, 0}, nt.path(1, 0))
	require.Equal(t, []int{2, 3, 0}, nt.path(2, 0))
	require.Greater(t, nt.nodes[0].Stats().Bumps, bumps, "the source bumped its seqno")
	require.Greater(t, nt.nodes[1].Stats().RequestsSent, uint64(0))
}

// Without the feasibility condition the same network forms a loop (or
// counts to infinity): the condition is what the test above relies on.
func TestWithoutFeasibilityTheLoopCheckFires(t *testing.T) {
	nt := newNet(t, 4, func(_ int, c *Config) { c.DisableFeasibility = true })
	nt.connect(0, 1, 2*ms)
	nt.connect(1, 2, 2*ms)
	nt.connect(2, 3, 2*ms)
	nt.connect(3, 0, 60*ms)
	nt.run(2 * time.Second)
	nt.close(0, 1)
	looped := false
	until := nt.now.Add(time.Second)
	for nt.step(until) && !looped {
		looped = nt.nextHop(1, 0) == 2 && nt.nextHop(2, 0) == 1
	}
	require.True(t, looped, "B and A should point at each other")
}

func TestRestartedNodeIsReachableAtOnce(t *testing.T) {
	// psibase #1259: a node that restarts with seqno 0 under its old id is
	// refused for minutes. A new RouterID per start has no feasibility
	// distance anywhere, so its routes are feasible immediately.
	nt := newNet(t, 5, nil)
	for i := 0; i+1 < 5; i++ {
		nt.connect(i, i+1, 5*ms)
	}
	nt.run(2 * time.Second)
	nt.crash(4)
	nt.run(2 * time.Second)
	require.Nil(t, nt.path(0, 4), "the crashed node's route is gone")
	nt.restart(4)
	nt.run(300 * ms)
	require.Equal(t, []int{0, 1, 2, 3, 4}, nt.path(0, 4))
}

func TestForgedSeqnoIsPenalized(t *testing.T) {
	nt := newLine(t, 3, nil)
	// Node 1 claims node 2's next seqno without node 2's signature.
	u := &Update{Dest: nt.ids[2], RouterID: nt.nodes[2].routerID, Seqno: nt.nodes[2].seqno + 5, Metric: 3, Signed: true}
	require.NoError(t, nt.nodes[0].Step(nt.now, nt.ids[1], u))
	rd := nt.nodes[0].Ready()
	require.Len(t, rd.Penalties, 1)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
}

func TestImpossibleMetricAndUnroutableDestinationsArePenalized(t *testing.T) {
	nt := newLine(t, 3, func(i int, c *Config) {
		if i == 0 {
			c.Admit = func(id NodeID) bool { return id != testID(2) }
		}
	})
	require.Nil(t, nt.path(0, 2), "node 2 is not admitted at node 0")
	reasons := map[Reason]int{}
	for _, p := range nt.penalties[0] {
		reasons[p.Err.Reason]++
	}
	require.Positive(t, reasons[ReasonNotRoutable])
	require.NoError(t, nt.nodes[1].Step(nt.now, nt.ids[0], &Update{Dest: nt.ids[2], Metric: 0, Signed: true}))
	rd := nt.nodes[1].Ready()
	require.Equal(t, ReasonImpossibleMetric, rd.Penalties[0].Err.Reason)
}

func testID(i int) NodeID {
	var id NodeID
	copy(id[:], testKey(i).Public().(ed25519.PublicKey))
	return id
}

func TestUnicastIsAuthenticatedAndReplayProtected(t *testing.T) {
	nt := newLine(t, 3, nil)
	var captured []byte
	nt.hook = func(from, to int, b []byte) []byte {
		if from == 1 && to == 2 && Type(b[1]) == TypeData {
			captured = append([]byte(nil), b...)
		}
		return b
	}
	seq := nt.send(0, 2, ClassTransaction, []byte("tx"), 100*ms)
	require.Len(t, nt.delivered[2], 1)
	got := nt.delivered[2][0]
	require.Equal(t, nt.ids[0], got.Origin)
	require.Equal(t, seq, got.Seq)
	require.Equal(t, []byte("tx"), got.Payload)

	// The relay replays the frame: refused, never delivered twice.
	require.NoError(t, nt.nodes[2].Receive(nt.now, nt.ids[1], captured))
	rd := nt.nodes[2].Ready()
	require.Empty(t, rd.Delivered)
	require.Equal(t, ReasonReplay, rd.Dropped[0].Reason)
	nt.nodes[2].Advance()

	// The relay alters the payload: the signature fails, the relay pays.
	m, err := Decode(captured, DefaultLimits())
	require.NoError(t, err)
	m.(*Data).Payload = []byte("tX")
	require.NoError(t, nt.nodes[2].Step(nt.now, nt.ids[1], m))
	rd = nt.nodes[2].Ready()
	require.Empty(t, rd.Delivered)
	require.Equal(t, ReasonBadSignature, rd.Penalties[0].Err.Reason)
	require.Equal(t, nt.ids[1], rd.Penalties[0].Peer)
}

func TestNoRouteQueuesThenDeliversOrFailsWithAReason(t *testing.T) {
	nt := newNet(t, 3, nil)
	nt.connect(0, 1, 5*ms)
	nt.run(time.Second)
	// Node 2 is unknown: the message waits.
	nt.send(0, 2, ClassTransaction, []byte("a"), 500*ms)
	nt.connect(1, 2, 5*ms)
	nt.run(500 * ms)
	require.Len(t, nt.delivered[2], 1, "queued message sent when the route appeared")

	// Now node 2 vanishes for good: the next message fails after QueueTTL.
	nt.close(1, 2)
	nt.run(500 * ms)
	nt.send(0, 2, ClassTransaction, []byte("b"), 3*time.Second)
	require.Len(t, nt.delivered[2], 1)
	require.Len(t, nt.failed[0], 1)
	require.Equal(t, ReasonNoRoute, nt.failed[0][0].Reason)
	require.ErrorIs(t, nt.failed[0][0], ErrUndeliverable)
}

func TestQueueIsBoundedInBytes(t *testing.T) {
	nt := newNet(t, 2, func(_ int, c *Config) { c.QueueBytes = 10 })
	_, err := nt.nodes[0].Send(nt.now, nt.ids[1], ClassTransaction, make([]byte, 8))
	require.NoError(t, err)
	_, err = nt.nodes[0].Send(nt.now, nt.ids[1], ClassTransaction, make([]byte, 8))
	require.NoError(t, err)
	rd := nt.nodes[0].Ready()
	require.Len(t, rd.Failed, 1)
	require.Equal(t, ReasonQueueFull, rd.Failed[0].Reason)
}

func TestMulticastSendsOneCopyPerLink(t *testing.T) {
	// A tree: 0 - 1, 1 - {2, 3}, 3 - {4, 5}. A multicast from 0 to
	// {2, 3, 4, 5} crosses every link once.
	nt := newNet(t, 6, nil)
	for _, e := range [][2]int{{0, 1}, {1, 2}, {1, 3}, {3, 4}, {3, 5}} {
		nt.connect(e[0], e[1], 5*ms)
	}
	nt.run(time.Second)
	dests := []NodeID{nt.ids[2], nt.ids[3], nt.ids[4], nt.ids[5]}
	_, err := nt.nodes[0].Multicast(nt.now, dests, ClassConsensus, []byte("vote"))
	require.NoError(t, err)
	nt.flush(0)
	nt.run(200 * ms)
	for _, i := range []int{2, 3, 4, 5} {
		require.Len(t, nt.delivered[i], 1, "node %d", i)
	}
	require.Empty(t, nt.delivered[1])
	for l, n := range nt.sentOn {
		require.Equal(t, 1, n, "link %v", l)
	}
	require.Len(t, nt.sentOn, 5)
}

func TestValidatorVerdicts(t *testing.T) {
	nt := newLine(t, 3, nil)
	ready := false
	nt.nodes[1].SetValidator(ClassConsensus, func(origin NodeID, _ Class, p []byte) Verdict {
		switch string(p) {
		case "bad":
			return Reject
		case "old":
			return Ignore
		case "later":
			if !ready {
				return Defer
			}
		}
		return Accept
	})
	for _, p := range []string{"bad", "old", "later", "ok"} {
		_, err := nt.nodes[0].Send(nt.now, nt.ids[2], ClassConsensus, []byte(p))
		require.NoError(t, err)
	}
	nt.flush(0)
	nt.run(100 * ms)
	require.Len(t, nt.delivered[2], 1)
	require.Equal(t, "ok", string(nt.delivered[2][0].Payload))
	require.Len(t, nt.penalties[1], 1)
	require.Equal(t, ReasonRejected, nt.penalties[1][0].Err.Reason)
	require.Equal(t, nt.ids[0], nt.penalties[1][0].Peer)
	ready = true
	nt.nodes[1].Revalidate(nt.now)
	nt.flush(1)
	nt.run(100 * ms)
	require.Len(t, nt.delivered[2], 2)
	require.Equal(t, "later", string(nt.delivered[2][1].Payload))
}

func TestHopLimitIsEnforced(t *testing.T) {
	nt := newNet(t, 4, func(_ int, c *Config) { c.HopLimit = 2 })
	for i := 0; i+1 < 4; i++ {
		nt.connect(i, i+1, 5*ms)
	}
	nt.run(time.Second)
	nt.send(0, 3, ClassTransaction, []byte("x"), 100*ms)
	require.Empty(t, nt.delivered[3])
	require.Equal(t, ReasonHopLimit, nt.dropped[2][0].Reason)
}

func TestStaleSequenceNumbersAreRefused(t *testing.T) {
	nt := newNet(t, 2, nil)
	nt.connect(0, 1, 5*ms)
	nt.run(time.Second)
	m := &Data{Class: ClassApp, HopLimit: 4, Origin: nt.ids[0], Dests: []NodeID{nt.ids[1]}, Remaining: []byte{1},
		Seq: uint64(nt.now.Add(-2*time.Minute).UnixMilli()) << 16}
	signData(nt.keys[0], m)
	require.NoError(t, nt.nodes[1].Step(nt.now, nt.ids[0], m))
	rd := nt.nodes[1].Ready()
	require.Empty(t, rd.Delivered)
	require.Equal(t, ReasonStale, rd.Dropped[0].Reason)
}

func TestGarbageIsPenalizedNotFatal(t *testing.T) {
	nt := newNet(t, 2, nil)
	nt.connect(0, 1, 5*ms)
	err := nt.nodes[1].Receive(nt.now, nt.ids[0], []byte{Version, 99, 0})
	require.ErrorIs(t, err, ErrPeer)
	rd := nt.nodes[1].Ready()
	require.Equal(t, ReasonMalformed, rd.Penalties[0].Err.Reason)
}

func TestClassQueueTTLExpiresConsensusBeforeOlderTransactions(t *testing.T) {
	nt := newNet(t, 2, func(_ int, c *Config) {
		c.ClassQueueTTL = map[Class]time.Duration{ClassConsensus: 300 * ms}
	})
	// No link: both wait for a route, the transaction queued first.
	_, err := nt.nodes[0].Send(nt.now, nt.ids[1], ClassTransaction, []byte("tx"))
	require.NoError(t, err)
	nt.send(0, 1, ClassConsensus, []byte("vote"), 500*ms)
	require.Len(t, nt.failed[0], 1, "the consensus message expired behind an unexpired transaction")
	require.Equal(t, ClassConsensus, nt.failed[0][0].Class)
	require.Equal(t, ReasonNoRoute, nt.failed[0][0].Reason)
	// The transaction still waits for its route and goes when it appears.
	nt.connect(0, 1, 5*ms)
	nt.run(time.Second)
	require.Len(t, nt.failed[0], 1)
	require.Len(t, nt.delivered[1], 1)
	require.Equal(t, []byte("tx"), nt.delivered[1][0].Payload)
}

func TestClassQueueTTLNegativeRefused(t *testing.T) {
	c := DefaultConfig()
	c.Key = make([]byte, 64)
	c.ClassQueueTTL = map[Class]time.Duration{ClassConsensus: -1}
	require.ErrorContains(t, c.Validate(), "ClassQueueTTL")
}
