package broadcast

// Seed 001's behaviours (commonware broadcast::buffered, v2026.4.0
// broadcast/src/buffered/mod.rs; reference/commonware.md §1.8), one test
// each, named after the behaviour. Shutdown tests have no counterpart: a
// pure core has no task to stop (the driver's tests cover shutdown).

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// test_broadcast: a broadcast to All reaches every peer, and the result
// lists the n−1 peers it was queued for.
func TestBroadcast(t *testing.T) {
	n := newNet(t, 4, nil).mesh()
	d, sent := n.broadcast(0, "hello", All())
	require.Len(t, sent, 3)
	for i := 1; i < 4; i++ {
		require.True(t, n.got(i, d), "node %d", i)
		m, ok := n.engines[i].Get(d)
		require.True(t, ok)
		require.Equal(t, "hello", string(m.Payload))
	}
}

// test_self_retrieval: get before broadcasting finds nothing; a subscribe
// made before is fulfilled by our own broadcast; get finds it afterwards,
// and a later subscribe is answered at once.
func TestSelfRetrieval(t *testing.T) {
	n := newNet(t, 1, nil)
	e := n.engines[0]
	m := &Message{Topic: testTopic, Origin: e.ID(), Seq: e.nextSeq(n.now) + 1, Payload: []byte("self")}
	// The digest of the message we will broadcast: same topic, origin, seq
	// and payload.
	d := m.Digest()
	_, ok := e.Get(d)
	require.False(t, ok)
	w, err := e.Subscribe(n.now, d)
	require.NoError(t, err)
	got, _ := n.broadcast(0, "self", All())
	require.Equal(t, d, got)
	require.Equal(t, []Answer{{Waiter: w, Msg: e.cache.get(d)}}, n.answers[0])
	_, ok = e.Get(d)
	require.True(t, ok)
	w2, err := e.Subscribe(n.now, d)
	require.NoError(t, err)
	n.run()
	require.Equal(t, w2, n.answers[0][1].Waiter)
	require.Equal(t, uint64(1), e.Stats().SubscribeHit)
}

// test_packet_loss: commonware's caller must retry under loss. Here the
// lost push is recovered by the core itself: a peer that got the message
// announces it, and the victim pulls it after the graft timeout.
func TestPacketLossRecoveredByPull(t *testing.T) {
	n := newNet(t, 4, nil).mesh()
	// Prune 0's links to 2 and 3 first, so that 0 announces to them.
	n.broadcast(0, "warm-up", All())
	lost := 0
	n.drop = func(from, to int, f Frame) bool {
		if p, ok := f.(*Push); ok && to == 3 && !p.Reply {
			lost++
			return true
		}
		return false
	}
	d, _ := n.broadcast(0, "lossy", All())
	require.NotZero(t, lost)
	require.False(t, n.got(3, d))
	n.advance(n.engines[3].cfg.GraftTimeout)
	require.True(t, n.got(3, d), "pulled after the graft timeout")
	require.NotZero(t, n.engines[3].Stats().PullsSent)
	for i := range n.engines {
		require.Empty(t, n.penalties[i], "node %d", i)
	}
}

// test_get_cached: after propagation the receiver's subscribe is answered
// at once.
func TestGetCached(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	d, _ := n.broadcast(0, "cached", All())
	w, err := n.engines[1].Subscribe(n.now, d)
	require.NoError(t, err)
	n.run()
	require.Equal(t, w, n.answers[1][0].Waiter)
}

// test_get_nonexistent: a subscription made before the message exists is
// fulfilled later; subscriptions dropped before it arrives cause no harm.
func TestGetNonexistent(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	e0, e1 := n.engines[0], n.engines[1]
	d := (&Message{Topic: testTopic, Origin: e0.ID(), Seq: e0.nextSeq(n.now) + 1, Payload: []byte("later")}).Digest()
	w, err := e1.Subscribe(n.now, d)
	require.NoError(t, err)
	gone0, _ := e0.Subscribe(n.now, d)
	gone1, _ := e1.Subscribe(n.now, d)
	e0.Cancel(gone0)
	e1.Cancel(gone1)
	n.broadcast(0, "later", All())
	require.Equal(t, []Answer{{Waiter: w, Msg: e1.cache.get(d)}}, n.answers[1])
	require.Empty(t, n.answers[0])
	require.Equal(t, uint64(1), e1.Stats().SubscribeGone)
}

// test_selective_recipients: a broadcast to one peer reaches exactly it.
func TestSelectiveRecipients(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	d, sent := n.broadcast(0, "just you", Peers(n.ids[1]))
	require.Equal(t, []NodeID{n.ids[1]}, sent)
	_, ok := n.engines[1].Get(d)
	require.True(t, ok)
	_, ok = n.engines[2].Get(d)
	require.False(t, ok)
}

// test_cache_eviction_single_peer: with deque size 10, the 11th message
// from a peer evicts its first.
func TestCacheEvictionSinglePeer(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	var ds []Digest
	for i := 0; i < 11; i++ {
		d, _ := n.broadcast(0, fmt.Sprint("m", i), Peers(n.ids[1]))
		ds = append(ds, d)
	}
	require.False(t, n.has(1, ds[0]))
	for _, d := range ds[1:] {
		require.True(t, n.has(1, d))
	}
	require.Equal(t, uint64(1), n.engines[1].Stats().Evictions[EvictDeque])
}

// test_cache_eviction_multi_peer: M1 sent by A and C survives A's
// deque rolling over (C holds it) and goes when C's rolls over too.
func TestCacheEvictionMultiPeer(t *testing.T) {
	n := newNet(t, 3, nil).mesh() // A=0, B=1, C=2
	m1, _ := n.broadcast(0, "M1", Peers(n.ids[1]))
	msg := n.engines[1].cache.get(m1)
	// C relays the same signed message to B directly.
	n.engines[2].links[n.ids[1]] = true
	n.queue = append(n.queue, wire{from: 2, to: 1, data: (&Push{Scope: ScopeDirect, Msg: msg}).AppendTo(nil)})
	n.run()
	require.Equal(t, 2, n.engines[1].cache.items[m1].refs)
	for i := 0; i < 10; i++ {
		n.broadcast(0, fmt.Sprint("a", i), Peers(n.ids[1]))
	}
	require.True(t, n.has(1, m1), "C's deque still holds M1")
	for i := 0; i < 10; i++ {
		n.broadcast(2, fmt.Sprint("c", i), Peers(n.ids[1]))
	}
	require.False(t, n.has(1, m1))
}

// test_ref_count_across_peers: the same, observed through Get.
func TestRefCountAcrossPeers(t *testing.T) {
	c := newCache(2, 1<<20, 1<<20)
	a, b := idOf(testKey(1)), idOf(testKey(2))
	c.setPrimary([]NodeID{a, b})
	m := testMsg(1, 10)
	require.Equal(t, inserted, c.insert(a, m))
	require.Equal(t, inserted, c.insert(b, m))
	require.Equal(t, 2, c.items[m.Digest()].refs)
	require.Equal(t, m.Size(), c.bytes, "stored once")
	c.insert(a, testMsg(2, 10))
	c.insert(a, testMsg(3, 10))
	require.NotNil(t, c.get(m.Digest()))
	c.insert(b, testMsg(4, 10))
	c.insert(b, testMsg(5, 10))
	require.Nil(t, c.get(m.Digest()))
	require.NoError(t, c.check())
}

// test_deterministic_retrieval: the same inputs give the same outputs.
func TestDeterministicRetrieval(t *testing.T) {
	run := func() string {
		n := newNet(t, 5, nil).mesh()
		out := ""
		for i := 0; i < 5; i++ {
			d, _ := n.broadcast(i, fmt.Sprint("det", i), All())
			out += d.String()
		}
		for i := range n.engines {
			for _, dl := range n.delivered[i] {
				out += dl.From.String() + dl.Msg.Digest().String()
			}
		}
		return out
	}
	require.Equal(t, run(), run())
}

// test_malformed_network_payload_does_not_break_valid_traffic: a one-byte
// garbage frame is refused (and, beyond seed 001, penalized); later valid
// traffic still arrives.
func TestMalformedNetworkPayloadDoesNotBreakValidTraffic(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	err := n.engines[1].Receive(n.now, n.ids[2], []byte{0xff})
	require.ErrorIs(t, err, ErrPeer)
	n.flush(1)
	require.Equal(t, []Reason{ReasonMalformed}, n.penaltyReasons(1))
	d, _ := n.broadcast(0, "valid", All())
	require.True(t, n.got(1, d))
	require.Equal(t, uint64(1), n.engines[1].Stats().Invalid)
}

// test_dropped_waiters_for_missing_digest_are_cleaned_up: waiters whose
// requester went away are removed (Cancel, or WaiterTTL if the driver
// never says).
func TestDroppedWaitersForMissingDigestAreCleanedUp(t *testing.T) {
	n := newNet(t, 1, nil)
	e := n.engines[0]
	w1, _ := e.Subscribe(n.now, Digest{1})
	_, _ = e.Subscribe(n.now, Digest{2})
	require.Equal(t, 2, e.Inspect().Waiters)
	e.Cancel(w1)
	require.Equal(t, 1, e.Inspect().Waiters)
	n.advance(e.cfg.WaiterTTL + e.cfg.Housekeeping)
	require.Equal(t, 0, e.Inspect().Waiters)
	require.Len(t, n.expired[0], 1)
	require.Equal(t, uint64(2), e.Stats().SubscribeGone)
}

// test_peer_set_update_evicts_disconnected_peer_buffers: a new primary set
// without A evicts A's cached messages.
func TestPeerSetUpdateEvictsDisconnectedPeerBuffers(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	d, _ := n.broadcast(0, "from A", Peers(n.ids[1]))
	require.True(t, n.has(1, d))
	n.engines[1].SetPrimary(n.now, []NodeID{n.ids[1], n.ids[2]})
	require.False(t, n.has(1, d))
	require.Equal(t, uint64(1), n.engines[1].Stats().Evictions[EvictPeerSet])
}

// test_peer_set_update_evicts_peers_not_in_latest_set_even_if_still_in_overlap:
// only the latest set counts; A's new broadcasts still arrive but are not
// cached.
func TestPeerSetUpdateEvictsPeersNotInLatestSetEvenIfStillInOverlap(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	old, _ := n.broadcast(0, "old", Peers(n.ids[1], n.ids[2]))
	for i := 1; i < 3; i++ {
		n.engines[i].SetPrimary(n.now, []NodeID{n.ids[1], n.ids[2]})
	}
	require.False(t, n.has(1, old))
	d, sent := n.broadcast(0, "new", Peers(n.ids[1], n.ids[2]))
	require.Len(t, sent, 2)
	for i := 1; i < 3; i++ {
		require.True(t, n.got(i, d), "delivered to %d", i)
		require.False(t, n.has(i, d), "not cached at %d", i)
	}
	require.Equal(t, uint64(1), n.engines[1].Stats().Ineligible)
}

// test_initial_latest_peer_set_blocks_sender_not_in_latest_primary: a
// sender outside the primary set (A itself included) caches nothing.
func TestInitialLatestPeerSetBlocksSenderNotInLatestPrimary(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	for i := range n.engines {
		n.engines[i].SetPrimary(n.now, []NodeID{n.ids[1], n.ids[2]})
	}
	d, sent := n.broadcast(0, "secondary", Peers(n.ids[1], n.ids[2]))
	require.Len(t, sent, 2)
	for i := 0; i < 3; i++ {
		require.False(t, n.has(i, d), "node %d", i)
	}
	require.True(t, n.got(1, d))
}

// test_broadcast_queued_before_start_respects_initial_latest_primary has
// no counterpart: a pure core has no mailbox racing the peer set; the
// driver applies the peer set before the first input (doc.go).

// test_engine_starts_before_initial_peer_set_and_delivers_after_tracking:
// before any primary set nothing is cached (not even our own); after it,
// caching works.
func TestEngineStartsBeforeInitialPeerSetAndDeliversAfterTracking(t *testing.T) {
	n := newNet(t, 2, nil)
	for i := range n.engines {
		n.engines[i].SetPrimary(n.now, nil)
	}
	n.mesh()
	d, _ := n.broadcast(0, "early", All())
	require.False(t, n.has(0, d))
	require.False(t, n.has(1, d))
	require.True(t, n.got(1, d), "delivered all the same")
	for i := range n.engines {
		n.engines[i].SetPrimary(n.now, n.ids)
	}
	d, _ = n.broadcast(0, "tracked", All())
	require.True(t, n.has(0, d))
	require.True(t, n.has(1, d))
}

// test_peer_set_update_preserves_shared_messages: a message held by A and
// C survives A's eviction.
func TestPeerSetUpdatePreservesSharedMessages(t *testing.T) {
	c := newCache(10, 1<<20, 1<<20)
	a, b := idOf(testKey(1)), idOf(testKey(3))
	c.setPrimary([]NodeID{a, b})
	m := testMsg(1, 10)
	c.insert(a, m)
	c.insert(b, m)
	c.setPrimary([]NodeID{b})
	require.NotNil(t, c.get(m.Digest()))
	c.setPrimary(nil)
	require.Nil(t, c.get(m.Digest()))
	require.NoError(t, c.check())
}

// test_shared_broadcast_reuses_message (HEAD): Get, Subscribe and
// deliveries share one cached message.
func TestSharedBroadcastReusesMessage(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	d, _ := n.broadcast(0, "shared", All())
	m, _ := n.engines[1].Get(d)
	require.Same(t, n.delivered[1][0].Msg, m)
	_, _ = n.engines[1].Subscribe(n.now, d)
	n.run()
	require.Same(t, m, n.answers[1][0].Msg)
}

// testMsg is an unsigned message of a given size (cache tests only).
func testMsg(seq uint64, size int) *Message {
	return &Message{Topic: testTopic, Origin: idOf(testKey(99)), Seq: seq, Payload: make([]byte, size)}
}
