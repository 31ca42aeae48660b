package broadcast

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// line links 0-1-2-...-(n-1).
func line(n *tnet) *tnet {
	for i := 0; i+1 < len(n.engines); i++ {
		n.link(i, i+1)
	}
	return n
}

func TestPerPeerByteBudgetEvictsOldest(t *testing.T) {
	c := newCache(100, 250, 1000)
	a := idOf(testKey(1))
	c.setPrimary([]NodeID{a})
	m1, m2, m3 := testMsg(1, 0), testMsg(2, 0), testMsg(3, 0)
	size := m1.Size()
	c.peerBytes = 2 * size
	c.insert(a, m1)
	c.insert(a, m2)
	c.insert(a, m3)
	require.Nil(t, c.get(m1.Digest()))
	require.Equal(t, 2*size, c.deques[a].bytes)
	require.Equal(t, uint64(1), c.evictions[EvictPeer])
	require.Equal(t, tooLarge, c.insert(a, testMsg(4, 3*size)))
	require.NoError(t, c.check())
}

func TestGlobalByteBudgetEvictsThePeerFurthestOverItsShare(t *testing.T) {
	a, b := idOf(testKey(1)), idOf(testKey(2))
	size := testMsg(0, 100).Size()
	c := newCache(100, 10*size, 4*size)
	c.setPrimary([]NodeID{a, b})
	c.insert(b, testMsg(100, 100))
	for i := 1; i <= 4; i++ {
		c.insert(a, testMsg(uint64(i), 100)) // a floods
	}
	require.Equal(t, 4*size, c.bytes)
	require.NotNil(t, c.get(testMsg(100, 100).Digest()), "b's one message survives a's flood")
	require.Nil(t, c.get(testMsg(1, 100).Digest()), "a's oldest went")
	require.Equal(t, uint64(1), c.evictions[EvictGlobal])
	require.NoError(t, c.check())
}

func TestSeenSetSuppressesDuplicatesAndKeepsNoBodies(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	d, _ := n.broadcast(0, "once", All())
	for i := 1; i < 3; i++ {
		require.Len(t, n.delivered[i], 1, "delivered once at %d", i)
		require.Equal(t, stAccepted, n.engines[i].seen.get(d).state)
	}
	require.NotZero(t, n.engines[1].Stats().Duplicates+n.engines[2].Stats().Duplicates)
	// Forgotten after SeenTTL (last seen), refused as stale if it comes back.
	e := n.engines[1]
	msg := e.cache.get(d)
	n.advance(e.cfg.SeenTTL + e.cfg.Housekeeping)
	require.Nil(t, e.seen.get(d))
	require.NoError(t, e.Receive(n.now, n.ids[2], (&Push{Msg: msg}).AppendTo(nil)))
	require.Equal(t, uint64(1), e.Stats().Drops[ReasonStale])
	require.Len(t, n.delivered[1], 1)
}

func TestPlumtreePrunesDuplicateLinksToATree(t *testing.T) {
	n := newNet(t, 6, nil).mesh()
	n.broadcast(0, "flood", All())
	first := n.sentFrames[TypePush]
	require.Equal(t, 5+5*4, first, "the first message floods: 5 from the origin, 4 from each relay")
	require.NotZero(t, n.sentFrames[TypePrune])
	for k := 0; k < 5; k++ {
		before := n.sentFrames[TypePush]
		d, _ := n.broadcast(0, fmt.Sprint("tree", k), All())
		require.Equal(t, 5, n.sentFrames[TypePush]-before, "then one body per node")
		for i := 1; i < 6; i++ {
			require.True(t, n.got(i, d))
		}
	}
	for i := range n.engines {
		require.Empty(t, n.penalties[i], "node %d", i)
	}
}

func TestGraftRepairsTheTreeWhenAPushDoesNotArrive(t *testing.T) {
	n := newNet(t, 4, nil).mesh()
	n.broadcast(0, "build the tree", All())
	// Node 0 now pushes to 1, 2, 3 directly; lose everything 0 sends to 3.
	n.drop = func(from, to int, f Frame) bool { _, ok := f.(*Push); return ok && from == 0 && to == 3 }
	d, _ := n.broadcast(0, "graft me", All())
	require.False(t, n.got(3, d))
	n.advance(n.engines[3].cfg.GraftTimeout)
	require.True(t, n.got(3, d))
	s := n.engines[3].Stats()
	require.Equal(t, uint64(1), s.GraftsSent)
	asked := n.engines[3].fetch // the announcer it pulled from now pushes to 3
	require.Empty(t, asked.entries)
}

func TestSubscribePullsAnAnnouncedDigestAtOnce(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	n.broadcast(0, "tree", All())
	n.drop = func(from, to int, f Frame) bool { _, ok := f.(*Push); return ok && to == 2 && !f.(*Push).Reply }
	d, _ := n.broadcast(0, "wanted", All())
	require.NotEmpty(t, n.engines[2].fetch.entries, "announced, not received")
	_, err := n.engines[2].Subscribe(n.now, d)
	require.NoError(t, err)
	n.run()
	require.Len(t, n.answers[2], 1, "answered without waiting for the graft timeout")
}

func TestPullTimeoutBlamesTheAnnouncerAndTriesTheNext(t *testing.T) {
	n := newNet(t, 3, func(i int, c *Config) { c.MaxPullTries = 2 }).mesh()
	e := n.engines[2]
	d := Digest{9}
	// 0 and 1 both announce a digest neither serves (their frames are
	// dropped, as a silent liar's would be).
	n.drop = func(from, to int, f Frame) bool { return to == 0 || to == 1 }
	for _, from := range []int{0, 1} {
		require.NoError(t, e.Step(n.now, n.ids[from], &IHave{Items: []Announce{{Origin: n.ids[0], Digest: d}}}))
	}
	n.advance(e.cfg.GraftTimeout)
	require.Equal(t, uint64(1), e.Stats().PullsSent)
	n.advance(e.cfg.PullTimeout)
	require.Equal(t, uint64(2), e.Stats().PullsSent)
	n.advance(e.cfg.PullTimeout)
	require.Equal(t, []Reason{ReasonBrokenPromise, ReasonBrokenPromise}, n.penaltyReasons(2))
	require.Equal(t, uint64(1), e.Stats().PullsFailed)
	require.Empty(t, e.fetch.entries)
	require.Empty(t, e.fetch.inflight)
}

func TestMissingMovesToTheNextAnnouncerWithoutBlame(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	e := n.engines[2]
	d := Digest{9}
	for _, from := range []int{0, 1} {
		require.NoError(t, e.Step(n.now, n.ids[from], &IHave{Items: []Announce{{Origin: n.ids[0], Digest: d}}}))
	}
	n.advance(e.cfg.GraftTimeout)
	require.Equal(t, uint64(2), e.Stats().PullsSent, "0 said missing, 1 was asked at once")
	require.Equal(t, uint64(1), n.engines[0].Stats().PullsMissing)
	require.Empty(t, n.penalties[2])
}

func TestUnsolicitedRepliesArePenalized(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	d, _ := n.broadcast(0, "x", Peers(n.ids[0]))
	_ = d
	m := &Message{Topic: testTopic, Origin: n.ids[0], Seq: uint64(n.now.UnixMilli()) << 16, Payload: []byte("push")}
	m.Sign(testKey(0))
	require.NoError(t, n.engines[1].Step(n.now, n.ids[0], &Push{Reply: true, Msg: m}))
	require.NoError(t, n.engines[1].Step(n.now, n.ids[0], &Missing{Digest: m.Digest()}))
	n.flush(1)
	require.Equal(t, []Reason{ReasonUnsolicited, ReasonUnsolicited}, n.penaltyReasons(1))
	require.Empty(t, n.delivered[1])
}

func TestPullFloodIsServedAtMostMaxServesTimes(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	d, _ := n.broadcast(0, "popular", Peers(n.ids[1]))
	e := n.engines[0]
	for i := 0; i < 10; i++ {
		require.NoError(t, e.Step(n.now, n.ids[1], &Pull{Origin: n.ids[0], Digest: d}))
	}
	require.Equal(t, uint64(e.cfg.MaxServes), e.Stats().PullsServed)
	require.Equal(t, uint64(10-e.cfg.MaxServes), e.Stats().PullsRefused)
	n.flush(0)
	require.Len(t, n.penalties[0], 10-e.cfg.MaxServes)
	require.Equal(t, ReasonPullFlood, n.penalties[0][0].Err.Reason)
}

func TestServeByteBudgetBoundsDistinctPulls(t *testing.T) {
	n := newNet(t, 2, func(i int, c *Config) {
		c.Limits.MaxPayload = 1000
		c.Topics[testTopic] = TopicConfig{MaxSize: 1000}
		c.ServeBurst = 3 * (pushFixedLen + 1000)
		c.ServeRate = 1
	}).mesh()
	var ds []Digest
	for i := 0; i < 5; i++ {
		d, _, err := n.engines[0].Broadcast(n.now, testTopic, make([]byte, 1000-i), Peers(n.ids[1]))
		require.NoError(t, err)
		ds = append(ds, d)
	}
	for _, d := range ds {
		require.NoError(t, n.engines[0].Step(n.now, n.ids[1], &Pull{Digest: d}))
	}
	require.Equal(t, uint64(3), n.engines[0].Stats().PullsServed)
}

func TestAnnouncementFloodIsBounded(t *testing.T) {
	n := newNet(t, 2, func(i int, c *Config) { c.MaxAnnouncedPerPeer = 16; c.MaxFetches = 32 }).mesh()
	e := n.engines[1]
	for k := 0; k < 100; k++ {
		_ = e.Step(n.now, n.ids[0], &IHave{Items: []Announce{{Origin: n.ids[0], Digest: Digest{byte(k), 1}}}})
	}
	require.Len(t, e.fetch.entries, 16)
	n.flush(1)
	require.Contains(t, n.penaltyReasons(1), ReasonAnnounceFlood)
}

func TestInflightPullsPerPeerAreBounded(t *testing.T) {
	n := newNet(t, 2, func(i int, c *Config) { c.MaxInflightPerPeer = 2 }).mesh()
	e := n.engines[1]
	n.drop = func(from, to int, f Frame) bool { return true }
	items := []Announce{}
	for k := 0; k < 5; k++ {
		items = append(items, Announce{Origin: n.ids[0], Digest: Digest{byte(k), 2}})
	}
	_ = e.Step(n.now, n.ids[0], &IHave{Items: items})
	n.advance(e.cfg.GraftTimeout)
	require.Equal(t, uint64(2), e.Stats().PullsSent)
	require.Equal(t, 2, e.fetch.inflight[n.ids[0]])
}

func TestValidatorVerdicts(t *testing.T) {
	calls := map[string]int{}
	verdicts := map[string]Verdict{"ok": Accept, "meh": Ignore, "bad": Reject, "later": Defer}
	n := newNet(t, 3, func(i int, c *Config) {
		c.Topics[testTopic] = TopicConfig{MaxSize: 100, Validator: func(o NodeID, tp Topic, p []byte) Verdict {
			calls[string(p)]++
			return verdicts[string(p)]
		}}
	}).mesh()
	ok, _ := n.broadcast(0, "ok", All())
	meh, _ := n.broadcast(0, "meh", All())
	bad, _ := n.broadcast(0, "bad", All())
	later, _ := n.broadcast(0, "later", All())
	require.True(t, n.got(1, ok) && n.got(2, ok))
	require.Equal(t, 2, calls["ok"], "once per message per node, though each node got two copies")
	for _, d := range []Digest{meh, bad, later} {
		require.False(t, n.got(1, d))
		require.False(t, n.has(1, d))
	}
	require.Contains(t, n.penaltyReasons(1), ReasonRejected)
	require.Equal(t, 2, calls["bad"])
	require.Equal(t, 1, n.engines[1].Inspect().Deferred)
	verdicts["later"] = Accept
	for i := 1; i < 3; i++ {
		n.engines[i].Revalidate(n.now)
	}
	n.run()
	require.True(t, n.got(1, later))
	require.Equal(t, 0, n.engines[1].Inspect().Deferred)
}

func TestDeferQueueIsBoundedAndExpires(t *testing.T) {
	n := newNet(t, 2, func(i int, c *Config) {
		c.MaxDeferred = 3
		c.Topics[testTopic] = TopicConfig{MaxSize: 100, Validator: func(NodeID, Topic, []byte) Verdict { return Defer }}
	}).mesh()
	for k := 0; k < 5; k++ {
		n.broadcast(0, fmt.Sprint("d", k), Peers(n.ids[1]))
	}
	e := n.engines[1]
	require.Equal(t, 3, e.Inspect().Deferred)
	require.Equal(t, uint64(2), e.Stats().Drops[ReasonDeferFull])
	n.advance(e.cfg.DeferTTL + e.cfg.Housekeeping)
	require.Equal(t, 0, e.Inspect().Deferred)
	require.Equal(t, uint64(3), e.Stats().Drops[ReasonDeferExpired])
}

func TestBadSignatureOversizedAndStaleMessages(t *testing.T) {
	n := newNet(t, 2, nil).mesh()
	e := n.engines[1]
	now := uint64(n.now.UnixMilli()) << 16
	forged := &Message{Topic: testTopic, Origin: n.ids[0], Seq: now, Payload: []byte("forged")}
	forged.Sign(testKey(5))
	big := &Message{Topic: testTopic, Origin: n.ids[0], Seq: now, Payload: make([]byte, (1<<16)+1)}
	big.Sign(testKey(0))
	old := &Message{Topic: testTopic, Origin: n.ids[0], Seq: now - uint64(2*time.Minute/time.Millisecond)<<16, Payload: []byte("old")}
	old.Sign(testKey(0))
	unknown := &Message{Topic: 99, Origin: n.ids[0], Seq: now, Payload: []byte("?")}
	unknown.Sign(testKey(0))
	for _, m := range []*Message{forged, big, old, unknown} {
		require.NoError(t, e.Step(n.now, n.ids[0], &Push{Msg: m}))
	}
	n.flush(1)
	require.Equal(t, []Reason{ReasonBadSignature, ReasonOversized}, n.penaltyReasons(1))
	require.Equal(t, uint64(1), e.Stats().Drops[ReasonStale])
	require.Equal(t, uint64(1), e.Stats().Drops[ReasonUnknownTopic])
	require.Empty(t, n.delivered[1])
	require.Empty(t, e.seen.entries, "a forged copy must not block the real one")
}

func TestRoutedMessagesAreCachedAndNeverRelayed(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	d, _, err := n.engines[0].Broadcast(n.now, testTopic, []byte("to the producers"), Routed(n.ids[2]))
	require.NoError(t, err)
	rd := n.engines[0].Ready()
	n.engines[0].Advance()
	require.Len(t, rd.Routed, 1)
	require.Empty(t, rd.Messages)
	require.NoError(t, n.engines[2].ReceiveRouted(n.now, n.ids[0], rd.Routed[0].Frame.AppendTo(nil)))
	n.flush(2)
	require.True(t, n.got(2, d))
	require.True(t, n.has(2, d))
	require.Empty(t, n.queue, "not relayed")
	err = n.engines[2].ReceiveRouted(n.now, n.ids[0], (&Push{Msg: rd.Routed[0].Frame.Msg}).AppendTo(nil))
	require.ErrorIs(t, err, ErrPeer, "a network push is not a routed frame")
}

func TestRelayAlongALineReachesEveryNode(t *testing.T) {
	n := line(newNet(t, 6, nil))
	d, _ := n.broadcast(0, "far", All())
	for i := 1; i < 6; i++ {
		require.True(t, n.got(i, d), "node %d", i)
	}
	require.Zero(t, n.sentFrames[TypePrune], "a line has no duplicates")
}

func TestRemoveLinkMovesPullsElsewhere(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	e := n.engines[2]
	n.drop = func(from, to int, f Frame) bool { return to != 2 } // nobody answers
	d := Digest{4}
	for _, from := range []int{0, 1} {
		_ = e.Step(n.now, n.ids[from], &IHave{Items: []Announce{{Origin: n.ids[0], Digest: d}}})
	}
	n.advance(e.cfg.GraftTimeout)
	require.True(t, e.fetch.entries[d].asking)
	e.RemoveLink(n.now, n.ids[0])
	n.advance(time.Millisecond)
	require.Equal(t, n.ids[1], e.fetch.entries[d].asked)
	require.Empty(t, n.penalties[2])
}

func TestConfigValidateNamesTheField(t *testing.T) {
	c := testConfig(0)
	c.SeenTTL = time.Second
	err := c.Validate()
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "SeenTTL", ce.Field)
	c = testConfig(0)
	c.Topics[testTopic] = TopicConfig{MaxSize: 1 << 30}
	require.ErrorAs(t, c.Validate(), &ce)
	_, err = New(Config{}, epoch)
	require.Error(t, err)
}

func TestBroadcastErrors(t *testing.T) {
	n := newNet(t, 1, nil)
	e := n.engines[0]
	_, _, err := e.Broadcast(n.now, 99, nil, All())
	require.ErrorIs(t, err, ErrUnknownTopic)
	_, _, err = e.Broadcast(n.now, testTopic, make([]byte, 1<<17), All())
	require.ErrorIs(t, err, ErrTooLarge)
	_, _, err = e.Broadcast(n.now, testTopic, nil, Peers())
	require.ErrorIs(t, err, ErrNoRecipients)
}

func TestPruneForAnUnknownOriginIsIgnored(t *testing.T) {
	n := newNet(t, 2, func(i int, c *Config) { c.MaxOrigins = 2 }).mesh()
	d, _ := n.broadcast(0, "known", All())
	_ = d
	e := n.engines[1]
	for k := 0; k < 10; k++ {
		require.NoError(t, e.Step(n.now, n.ids[0], &Prune{Origin: NodeID{byte(k), 9}}))
	}
	require.Len(t, e.trees.m, 1)
	require.Contains(t, e.trees.m, n.ids[0])
}

func TestADuplicateWithABadSignatureIsNeverCached(t *testing.T) {
	n := newNet(t, 3, nil).mesh()
	for i := range n.engines {
		n.engines[i].SetPrimary(n.now, []NodeID{n.ids[1], n.ids[2]}) // 0 is ineligible: its copy is not cached
	}
	d, _ := n.broadcast(0, "signed", Peers(n.ids[1]))
	e := n.engines[1]
	require.True(t, n.got(1, d))
	require.False(t, n.has(1, d))
	m := *e.seenMsgForTest(t, n, d)
	m.Sig[0] ^= 1
	require.NoError(t, e.Step(n.now, n.ids[2], &Push{Scope: ScopeDirect, Msg: &m}))
	require.False(t, n.has(1, d), "the forged copy was not kept")
}

// seenMsgForTest returns the message node 1 had delivered with digest d.
func (e *Engine) seenMsgForTest(t *testing.T, n *tnet, d Digest) *Message {
	t.Helper()
	for _, dl := range n.delivered[n.index[e.ID()]] {
		if dl.Msg.Digest() == d {
			return dl.Msg
		}
	}
	t.Fatal("not delivered")
	return nil
}
