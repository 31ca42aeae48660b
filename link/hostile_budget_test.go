package link_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// Issue 11: regression tests for the link side of the hostile-peer attacks,
// over real libp2p. Each failed on the code before its fix (see the commit
// that added it).

// fastWatchdog makes the stall watchdog and pings quick enough for a test;
// PingTimeout is long so that hostile hosts, which never answer PINGs, are
// ended by the defence under test and not by the ping timeout.
func fastWatchdog(cfg *link.Config) {
	cfg.Conn.PingInterval = 100 * time.Millisecond
	cfg.Conn.PingTimeout = time.Minute
	cfg.Conn.StallTimeout = time.Second
	cfg.Conn.BulkStallTimeout = time.Second
}

// announce writes a MSG frame header for an n-byte message and nothing else.
func announce(t *testing.T, s network.Stream, n int) {
	t.Helper()
	_, err := s.Write(binary.AppendUvarint([]byte{1}, uint64(n)))
	require.NoError(t, err)
}

// Attack 1, reservation pinning: three identities each announce a 12 MiB
// sync message (a frame header, a few bytes) against a 40 MiB receive
// budget and send nothing more. The old code reserved the announced size
// before any payload arrived, so the honest peer's 8 MiB block was refused
// and its link closed with ReasonResource; now memory is reserved as bytes
// arrive, the honest link is unharmed, and the stalled announcers are
// dropped with ReasonStalled and charged.
func TestAnnouncedMessagesDoNotPinMemory(t *testing.T) {
	cfg := testConfig(t, "tcp")
	cfg.ReceiveMemory = 40 << 20
	fastWatchdog(&cfg)
	rv := linktest.NewRecorder(16)
	victim := newHost(t, cfg, rv)
	defer victim.Close()

	var attackers []*hostile
	for range 3 {
		x := newHostile(t)
		require.NoError(t, x.h.Connect(context.Background(), victim.AddrInfo()))
		lanes := x.lanes(t, victim.ID())
		announce(t, lanes[link.LaneSync], 12<<20)
		attackers = append(attackers, x)
	}
	for range attackers {
		<-rv.Ups
	}
	// What the announcements hold: one first buffer each, not 12 MiB.
	waitFor(t, nil, func() bool { return protocolMemory(t, victim) >= 3*64<<10 })
	held := protocolMemory(t, victim)
	t.Logf("3 announcements of 12 MiB hold %d KiB of the receive budget", held>>10)
	require.LessOrEqual(t, held, int64(3*256<<10))

	honest := newHost(t, testConfig(t, "tcp"), nil)
	defer honest.Close()
	hl, err := honest.Connect(context.Background(), victim.AddrInfo())
	require.NoError(t, err)
	<-rv.Ups
	block := bytes.Repeat([]byte{7}, 8<<20)
	require.NoError(t, hl.Send(link.LaneBlocks, block))
	select {
	case m := <-rv.Msgs:
		require.Equal(t, link.LaneBlocks, m.Lane)
		require.Len(t, m.Data, len(block))
	case <-time.After(20 * time.Second):
		t.Fatalf("the honest block never arrived; honest link: %v", hl.Err())
	}
	require.NoError(t, hl.Err(), "the honest link was closed")

	for _, x := range attackers {
		waitFor(t, nil, func() bool { return peerInfo(victim, x.h.ID()).LastDisconnect == link.ReasonStalled })
		pi := peerInfo(victim, x.h.ID())
		require.Contains(t, pi.LastError, "lane sync")
		require.Less(t, pi.Score, -cfg.Conn.Score.StallPenalty/2, "the staller is charged")
	}
	require.NoError(t, hl.Err())
	require.Zero(t, peerInfo(victim, honest.ID()).Score)
}

// Attack 4, link side: a peer that never grants credit on a bulk lane is
// dropped after BulkStallTimeout with ReasonStalled and charged (the old
// code held its queued blocks forever), and the node-wide QueueBudget
// refuses further queued bytes to unprotected peers while protected peers
// are still served.
func TestBulkLaneWithoutCreditIsDroppedAndBudgeted(t *testing.T) {
	cfg := testConfig(t, "tcp")
	fastWatchdog(&cfg)
	cfg.Conn.BulkStallTimeout = 2 * time.Second
	cfg.Conn.QueueBudget = 1 << 20
	protected := newHostile(t)
	cfg.ProtectedPeers = []link.PeerID{protected.h.ID()}
	rv := linktest.NewRecorder(16)
	victim := newHost(t, cfg, rv)
	defer victim.Close()

	// Three peers open their lanes and never send CREDIT: the victim may
	// send them nothing on the bulk lanes.
	var links []link.Link
	for _, x := range []*hostile{newHostile(t), newHostile(t), protected} {
		require.NoError(t, x.h.Connect(context.Background(), victim.AddrInfo()))
		x.lanes(t, victim.ID())
		links = append(links, <-rv.Ups)
	}
	l0, l1, lp := links[0], links[1], links[2]
	if l0.Peer() == protected.h.ID() || l1.Peer() == protected.h.ID() {
		for _, l := range links {
			if l.Peer() == protected.h.ID() {
				lp = l
			}
		}
		var rest []link.Link
		for _, l := range links {
			if l != lp {
				rest = append(rest, l)
			}
		}
		l0, l1 = rest[0], rest[1]
	}
	require.NoError(t, l0.Send(link.LaneBlocks, make([]byte, 700<<10)))
	require.ErrorIs(t, l1.Send(link.LaneBlocks, make([]byte, 700<<10)), link.ErrQueueFull, "past the node-wide budget")
	require.Equal(t, uint64(1), l1.Stats().Lanes[link.LaneBlocks].Drops[link.DropBudget])
	require.NoError(t, lp.Send(link.LaneBlocks, make([]byte, 700<<10)), "protected peers are never refused by the budget")

	<-l0.Done()
	require.Equal(t, link.ReasonStalled, link.ReasonOf(l0.Err()), "%v", l0.Err())
	require.Contains(t, l0.Err().Error(), "no credit")
	require.Less(t, peerInfo(victim, l0.Peer()).Score, 0.0)
	// Its queued bytes went back to the budget.
	require.NoError(t, l1.Send(link.LaneBlocks, make([]byte, 100<<10)))
}

// Attack 3, link side: a protected peer (a producer of the set in force)
// that bursts past the inbound rate limit is shed and counted but never
// charged or banned, while an unprotected peer doing the same is banned; a
// score ban restored for a protected peer is not enforced, an operator's
// ban is. On the old code the producer was banned for the burst.
func TestProtectedPeerBurstIsShedNotBanned(t *testing.T) {
	cfg := testConfig(t, "tcp")
	cfg.Conn.InboundMsgRate[link.LaneRouting] = 100
	cfg.Conn.InboundMsgBurst[link.LaneRouting] = 100
	cfg.Conn.Score.FloodPenalty = 1
	producer := newHost(t, testConfig(t, "tcp"), nil)
	defer producer.Close()
	other := newHost(t, testConfig(t, "tcp"), nil)
	defer other.Close()
	cfg.ProtectedPeers = []link.PeerID{producer.ID()}
	rv := linktest.NewRecorder(4096)
	victim := newHost(t, cfg, rv)
	defer victim.Close()

	burst := func(h *link.Host) link.Link {
		l, err := h.Connect(context.Background(), victim.AddrInfo())
		require.NoError(t, err)
		for range 1000 {
			if l.SendWait(context.Background(), link.LaneRouting, []byte("tx")) != nil {
				break
			}
		}
		return l
	}
	pl := burst(producer)
	burst(other)
	waitFor(t, nil, func() bool { return peerInfo(victim, other.ID()).Ban != nil })
	require.Contains(t, peerInfo(victim, other.ID()).Ban.Reason, string(link.ReasonFlood))

	waitFor(t, nil, func() bool {
		st := peerInfo(victim, producer.ID()).Stats
		return st != nil && st.Lanes[link.LaneRouting].Drops[link.DropRateLimited]+st.Lanes[link.LaneRouting].MsgsIn == 1000
	})
	pi := peerInfo(victim, producer.ID())
	require.Nil(t, pi.Ban)
	require.Zero(t, pi.Score, "a protected peer's burst is not charged")
	require.Positive(t, pi.Stats.Lanes[link.LaneRouting].Drops[link.DropRateLimited], "the burst was shed and counted")
	require.NoError(t, pl.Err())

	// Other faults are charged but never ban a protected peer.
	for range 5 {
		require.False(t, victim.Penalize(producer.ID(), link.ReasonInvalid, "bad block"))
	}
	require.Nil(t, peerInfo(victim, producer.ID()).Ban)
	require.NoError(t, pl.Err())

	// An operator's ban is enforced against everyone.
	victim.Ban(producer.ID(), time.Minute, "operator says so")
	<-pl.Done()
	require.Equal(t, link.ReasonBanned, link.ReasonOf(pl.Err()))
}

// A score ban taken before a peer became a producer (or restored from the
// BanStore after a restart) does not keep the producer out: protection is
// checked before the ban. On the old code the gater refused it.
func TestScoreBanDoesNotRefuseAProtectedPeer(t *testing.T) {
	cfg := testConfig(t, "tcp")
	producer := newHost(t, testConfig(t, "tcp"), nil)
	defer producer.Close()
	store := newMapStore()
	require.NoError(t, store.SaveBan(link.Ban{Peer: producer.ID(), Reason: "score: flood", Until: time.Now().Add(time.Hour)}))
	cfg.BanStore = store
	cfg.ProtectedPeers = []link.PeerID{producer.ID()}
	rv := linktest.NewRecorder(4)
	victim := newHost(t, cfg, rv)
	defer victim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := producer.Connect(ctx, victim.AddrInfo())
	require.NoError(t, err)
	require.NoError(t, l.Send(link.LaneConsensus, []byte("vote")))
	select {
	case m := <-rv.Msgs:
		require.Equal(t, "vote", string(m.Data))
	case <-ctx.Done():
		t.Fatal("the protected peer's message never arrived")
	}
}

// Review item: a peer that floods PINGs and never reads is shed (counted
// as rate_limited on the consensus lane) and charged; a CREDIT frame
// pushing the outstanding credit past 2^40 ends the link as a protocol
// violation. On the old code every PING queued a PONG, uncharged, and
// credits silently summed into an int64.
func TestPingFloodAndCreditOverflow(t *testing.T) {
	cfg := testConfig(t, "tcp")
	rv := linktest.NewRecorder(4)
	victim := newHost(t, cfg, rv)
	defer victim.Close()

	x := newHostile(t)
	require.NoError(t, x.h.Connect(context.Background(), victim.AddrInfo()))
	lanes := x.lanes(t, victim.ID())
	l := <-rv.Ups
	var pings []byte
	for i := range uint64(1500) {
		pings = binary.BigEndian.AppendUint64(append(pings, 3, 8), i)
	}
	_, err := lanes[link.LaneConsensus].Write(pings)
	require.NoError(t, err)
	waitFor(t, nil, func() bool {
		return l.Stats().Lanes[link.LaneConsensus].Drops[link.DropRateLimited] >= 1400
	})
	require.Less(t, peerInfo(victim, x.h.ID()).Score, 0.0, "the ping flood is charged")
	require.NoError(t, l.Err())

	credit := func(n uint64) []byte {
		p := binary.AppendUvarint([]byte{byte(link.LaneBlocks)}, n)
		return append([]byte{2, byte(len(p))}, p...)
	}
	_, err = lanes[link.LaneConsensus].Write(append(credit(1<<40), credit(1<<40)...))
	require.NoError(t, err)
	<-l.Done()
	// The charge for the violation on top of the flood crossed the ban
	// threshold: the link ends banned, the ban names the violation.
	require.Contains(t, l.Err().Error(), string(link.ReasonProtocol))
	require.Contains(t, l.Err().Error(), "credit on lane blocks")
}

// A static peer shares the producers' flood exemption but not their ban
// immunity: a static full node charged for a fault its role cannot excuse
// (raft without authority) is banned like anyone else, while a producer
// charged the same is not. Before this rule a static full node speaking
// raft was never banned (node.TestRaftRefusesOverLibp2p).
func TestStaticPeerIsBannedForFaultsButProducerIsNot(t *testing.T) {
	static := newHost(t, testConfig(t, "tcp"), nil)
	defer static.Close()
	producer := newHost(t, testConfig(t, "tcp"), nil)
	defer producer.Close()
	cfg := testConfig(t, "tcp")
	cfg.StaticPeers = []string{static.AddrInfo().Addrs[0].String() + "/p2p/" + static.ID().String()}
	cfg.ProtectedPeers = []link.PeerID{producer.ID()}
	victim := newHost(t, cfg, linktest.NewRecorder(4))
	defer victim.Close()

	banned := false
	for range 10 {
		if victim.Penalize(static.ID(), link.ReasonUnauthorized, "raft not-a-member") {
			banned = true
			break
		}
	}
	require.True(t, banned, "a static peer is banned for unauthorized traffic")
	require.Contains(t, peerInfo(victim, static.ID()).Ban.Reason, string(link.ReasonUnauthorized))
	for range 10 {
		require.False(t, victim.Penalize(producer.ID(), link.ReasonUnauthorized, "raft header-mismatch"))
	}
	require.Nil(t, peerInfo(victim, producer.ID()).Ban, "a producer of the set in force is never banned by scoring")
}
