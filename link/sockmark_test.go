package link_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/multiformats/go-multiaddr"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// TestBulkConnectionIsMarkedLowPriority: both ends of a TCP link's bulk
// connection mark their socket DSCP CS1 and SO_PRIORITY 2 (read back with
// getsockopt), the link connection that carries votes keeps the default
// 0/0, and BulkLowPriority off leaves both unmarked. On the code before
// the mark every socket read 0/0.
func TestBulkConnectionIsMarkedLowPriority(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sockets are marked on Linux only")
	}
	for _, on := range []bool{true, false} {
		name := map[bool]string{true: "on", false: "off"}[on]
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t, "tcp")
			cfg.Conn.BulkLowPriority = on
			ra, rb := linktest.NewRecorder(16), linktest.NewRecorder(16)
			a, b := newHost(t, cfg, ra), newHost(t, cfg, rb)
			defer func() { require.NoError(t, a.Close()); require.NoError(t, b.Close()) }()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			l, err := a.Connect(ctx, b.AddrInfo())
			require.NoError(t, err)
			<-rb.Ups // the listener marks its end before the link is up
			st := l.Stats()
			require.NotEmpty(t, st.BulkConn, "no bulk connection")

			want := link.SocketMark{}
			if on {
				want = link.SocketMark{TOS: link.BulkDSCP << 2, Priority: link.BulkSocketPriority}
			}
			dialer, listener := connEnds(t, st.BulkConn)
			requireMark(t, want, dialer, listener, "the dialer's bulk socket")
			requireMark(t, want, listener, dialer, "the listener's bulk socket")
			dialer, listener = connEnds(t, st.Conn)
			requireMark(t, link.SocketMark{}, dialer, listener, "the dialer's link socket (votes)")
			requireMark(t, link.SocketMark{}, listener, dialer, "the listener's link socket (votes)")
		})
	}
}

// connEnds splits Stats' "dialer address>listener address".
func connEnds(t *testing.T, conn string) (dialer, listener multiaddr.Multiaddr) {
	t.Helper()
	d, l, ok := strings.Cut(conn, ">")
	require.True(t, ok, conn)
	dialer, err := multiaddr.NewMultiaddr(d)
	require.NoError(t, err)
	listener, err = multiaddr.NewMultiaddr(l)
	require.NoError(t, err)
	return dialer, listener
}

func requireMark(t *testing.T, want link.SocketMark, local, remote multiaddr.Multiaddr, what string) {
	t.Helper()
	got, err := link.TCPSocketMark(local, remote)
	require.NoError(t, err, what)
	require.Equal(t, want, got, what)
}
