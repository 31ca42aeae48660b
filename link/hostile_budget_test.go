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
