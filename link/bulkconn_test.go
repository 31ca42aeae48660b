package link_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/multiformats/go-multiaddr"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// TestBulkLanesHaveTheirOwnConnection (issue 14 item 2): over TCP and
// QUIC a link's blocks and sync lanes run on a second connection, so no
// block byte can sit in front of a vote in a shared muxer queue, socket
// buffer or congestion window. Both ends name both connections the same
// way in Stats, the listener's swarm holds the two, and blocks and votes
// both arrive. With BulkConn off the link keeps one connection. (On the
// code before the bulk connection the bulk lanes shared the link's
// connection: there was no Stats.BulkConn and one connection per peer.)
func TestBulkLanesHaveTheirOwnConnection(t *testing.T) {
	for _, tr := range []string{"tcp", "quic"} {
		for _, on := range []bool{true, false} {
			name := tr + "/separate"
			if !on {
				name = tr + "/shared"
			}
			t.Run(name, func(t *testing.T) { testBulkConn(t, tr, on) })
		}
	}
}

func testBulkConn(t *testing.T, tr string, on bool) {
	cfg := testConfig(t, tr)
	cfg.Conn.BulkConn = on
	ra, rb := linktest.NewRecorder(16), linktest.NewRecorder(16)
	a, b := newHost(t, cfg, ra), newHost(t, cfg, rb)
	defer func() { require.NoError(t, a.Close()); require.NoError(t, b.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := a.Connect(ctx, b.AddrInfo())
	require.NoError(t, err)
	<-rb.Ups
	back := b.Link(a.ID())
	require.NotNil(t, back)

	sa, sb := l.Stats(), back.Stats()
	require.NotEmpty(t, sa.Conn)
	require.Equal(t, sa.Conn, sb.Conn, "both ends name the link's connection alike")
	require.Equal(t, sa.BulkConn, sb.BulkConn, "both ends name the bulk connection alike")
	conns := len(b.Libp2p().Network().ConnsToPeer(a.ID()))
	if on {
		require.NotEmpty(t, sa.BulkConn, "no bulk connection")
		// Different sockets on both ends: on QUIC too, the bulk connection
		// leaves from the dialer's bulk socket for the listener's bulk
		// port (quicbulk.go), so neither address is the link's.
		// (TCP's two connections are two sockets even on one listen port.)
		// On the code before, QUIC's two connections had the same
		// addresses.
		require.NotEqual(t, sa.Conn, sa.BulkConn)
		if tr == "quic" {
			ca, cb, ok := strings.Cut(sa.Conn, ">")
			require.True(t, ok, sa.Conn)
			ba, bb, ok := strings.Cut(sa.BulkConn, ">")
			require.True(t, ok, sa.BulkConn)
			require.NotEqual(t, ca, ba, "the dialer's two connections share a socket")
			require.NotEqual(t, cb, bb, "the listener's two connections share a socket")
		}
		require.Equal(t, 2, conns, "the listener holds the link's and the bulk connection")
	} else {
		require.Empty(t, sa.BulkConn)
		require.Equal(t, 1, conns)
	}

	block := bytes.Repeat([]byte{7}, 3<<20)
	require.NoError(t, l.SendWait(ctx, link.LaneBlocks, block))
	require.NoError(t, l.Send(link.LaneConsensus, []byte("vote")))
	require.NoError(t, back.SendWait(ctx, link.LaneSync, []byte("sync")))
	got := map[link.Lane][]byte{}
	for range 2 {
		select {
		case m := <-rb.Msgs:
			got[m.Lane] = m.Data
		case <-ctx.Done():
			t.Fatal("messages did not arrive")
		}
	}
	require.Equal(t, block, got[link.LaneBlocks])
	require.Equal(t, []byte("vote"), got[link.LaneConsensus])
	// The receive window: tuned within BulkWindowMax on a bulk connection
	// (how far depends on the host's speed), fixed on a shared one.
	rw, base := back.Stats().Lanes[link.LaneBlocks].RecvWindow, int64(cfg.Conn.BulkConnWindow)
	if tr == "quic" {
		base = int64(cfg.Conn.QUICBulkWindow)
	} else if !on {
		base = int64(cfg.Conn.BulkWindow)
	}
	if on {
		require.GreaterOrEqual(t, rw, base)
		require.LessOrEqual(t, rw, max(base, int64(cfg.Conn.BulkWindowMax)))
	} else {
		require.Equal(t, base, rw)
	}
	select {
	case m := <-ra.Msgs:
		require.Equal(t, link.LaneSync, m.Lane)
	case <-ctx.Done():
		t.Fatal("the sync message did not arrive")
	}

	// Closing the link closes both connections.
	l.Close(nil)
	require.Eventually(t, func() bool {
		return len(b.Libp2p().Network().ConnsToPeer(a.ID())) == 0
	}, 5*time.Second, 20*time.Millisecond, "a connection of the closed link stayed open")
}

// TestQUICBulkToAPeerWithoutBulkPort: a peer that listens on one QUIC
// port (older code, or QUICBulkListenAddrs empty) gets its bulk
// connection at the link's address, as before, and the link carries
// blocks; the dialer's side still leaves from its bulk socket.
func TestQUICBulkToAPeerWithoutBulkPort(t *testing.T) {
	cfg := testConfig(t, "quic")
	old := cfg
	old.QUICBulkListenAddrs = []string{}
	ra, rb := linktest.NewRecorder(16), linktest.NewRecorder(16)
	a, b := newHost(t, cfg, ra), newHost(t, old, rb)
	defer func() { require.NoError(t, a.Close()); require.NoError(t, b.Close()) }()
	require.Len(t, b.AddrInfo().Addrs, 1, "the old peer listens on one QUIC port")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := a.Connect(ctx, b.AddrInfo())
	require.NoError(t, err)
	<-rb.Ups
	sa := l.Stats()
	require.NotEmpty(t, sa.BulkConn, "no bulk connection")
	ca, cb, _ := strings.Cut(sa.Conn, ">")
	ba, bb, _ := strings.Cut(sa.BulkConn, ">")
	require.Equal(t, cb, bb, "the bulk connection goes to the peer's one port")
	require.NotEqual(t, ca, ba, "the bulk connection leaves from the dialer's bulk socket")
	block := bytes.Repeat([]byte{9}, 1<<20)
	require.NoError(t, l.SendWait(ctx, link.LaneBlocks, block))
	select {
	case m := <-rb.Msgs:
		require.Equal(t, link.LaneBlocks, m.Lane)
		require.Equal(t, block, m.Data)
	case <-ctx.Done():
		t.Fatal("the block did not arrive")
	}
}

// TestQUICBulkPortUnreachable: when the peer's bulk port does not answer
// (a firewall that opened only the link's port), the dialer gives up on
// it within a quarter of the handshake time and dials the bulk
// connection to the link's address; the link comes up. (Emulated with a
// second, dead QUIC address of the peer in the dialer's peerstore.)
func TestQUICBulkPortUnreachable(t *testing.T) {
	cfg := testConfig(t, "quic")
	old := cfg
	old.QUICBulkListenAddrs = []string{}
	ra, rb := linktest.NewRecorder(16), linktest.NewRecorder(16)
	a, b := newHost(t, cfg, ra), newHost(t, old, rb)
	defer func() { require.NoError(t, a.Close()); require.NoError(t, b.Close()) }()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	dead := multiaddr.StringCast(fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", pc.LocalAddr().(*net.UDPAddr).Port))
	defer func() { _ = pc.Close() }() // bound, never answers: packets to it vanish
	a.Libp2p().Peerstore().AddAddr(b.ID(), dead, time.Hour)
	info := b.AddrInfo()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := a.Connect(ctx, info)
	require.NoError(t, err)
	<-rb.Ups
	sa := l.Stats()
	require.NotEmpty(t, sa.BulkConn, "no bulk connection")
	_, cb, _ := strings.Cut(sa.Conn, ">")
	_, bb, _ := strings.Cut(sa.BulkConn, ">")
	require.Equal(t, cb, bb, "the bulk connection falls back to the link's address")
}
