package link

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/transport"
	"github.com/multiformats/go-multiaddr"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// noBulkDialer has no transport for any address: every bulk dial fails,
// as it does for an address that can be reached once but not twice.
type noBulkDialer struct{}

func (noBulkDialer) TransportForDialing(multiaddr.Multiaddr) transport.Transport { return nil }

// TestBulkLanesFallBackToTheLinkConnection: when the bulk connection
// cannot be dialed, the link still comes up, with the blocks and sync
// lanes on its one connection (Stats.BulkConn empty on both ends, one
// connection in the listener's swarm, the shared connection's BulkWindow),
// and carries blocks and votes.
func TestBulkLanesFallBackToTheLinkConnection(t *testing.T) {
	for _, tr := range []string{"tcp", "quic"} {
		t.Run(tr, func(t *testing.T) { testBulkFallback(t, tr) })
	}
}

func testBulkFallback(t *testing.T, tr string) {
	cfg := DefaultConfig()
	cfg.TCP, cfg.QUIC = tr == "tcp", tr == "quic"
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	if tr == "quic" {
		cfg.ListenAddrs = []string{"/ip4/127.0.0.1/udp/0/quic-v1"}
	}
	cfg.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	type msg struct {
		lane Lane
		data []byte
	}
	got := make(chan msg, 4)
	up := make(chan Link, 1)
	a, err := New(cfg, HandlerFuncs{})
	require.NoError(t, err)
	a.bulkDialer = noBulkDialer{}
	b, err := New(cfg, HandlerFuncs{
		OnConnected: func(l Link) { up <- l },
		OnReceive:   func(_ Link, l Lane, m []byte) { got <- msg{l, m} },
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Close()); require.NoError(t, b.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := a.Connect(ctx, b.AddrInfo())
	require.NoError(t, err)
	back := <-up
	require.Empty(t, l.Stats().BulkConn, "no bulk connection on the dialer")
	require.Empty(t, back.Stats().BulkConn, "no bulk connection on the listener")
	require.Equal(t, l.Stats().Conn, back.Stats().Conn)
	require.Len(t, b.Libp2p().Network().ConnsToPeer(a.ID()), 1, "one connection carries all four lanes")
	want := cfg.Conn.BulkWindow
	if tr == "quic" {
		want = cfg.Conn.QUICBulkWindow
	}
	require.EqualValues(t, want, l.(*session).core.credit[LaneBlocks].window, "the shared connection's window")
	require.EqualValues(t, want, l.(*session).core.credit[LaneBlocks].max, "no tuning: a larger window would queue blocks ahead of votes")

	block := bytes.Repeat([]byte{7}, 3<<20)
	require.NoError(t, l.SendWait(ctx, LaneBlocks, block))
	require.NoError(t, l.Send(LaneConsensus, []byte("vote")))
	for range 2 {
		select {
		case m := <-got:
			switch m.lane {
			case LaneBlocks:
				require.True(t, bytes.Equal(block, m.data), "the block arrives intact")
			case LaneConsensus:
				require.Equal(t, "vote", string(m.data))
			default:
				t.Fatalf("message on lane %s", m.lane)
			}
		case <-ctx.Done():
			t.Fatal("a message did not arrive")
		}
	}
}
