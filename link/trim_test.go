package link_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// A connection our connection manager trims ends its link with
// ReasonTrimmed, not "transport". The trim is libp2p connmgr's own call,
// CloseWithError(ConnGarbageCollected) on the connection (connmgr itself
// trims only after a one-minute grace period). The peer learns it only if
// the muxer's close frame arrives before the socket dies: then its link
// says trimmed, Remote; otherwise transport.
func TestTrimmedConnectionIsReportedAsTrimmed(t *testing.T) {
	for _, transport := range []string{"tcp", "quic"} {
		t.Run(transport, func(t *testing.T) {
			rb := linktest.NewRecorder(4)
			a := newHost(t, testConfig(t, transport), nil)
			defer a.Close()
			b := newHost(t, testConfig(t, transport), rb)
			defer b.Close()
			// One address, so one connection: given all of b's (on
			// QUIC its link port and its bulk port), the swarm dials
			// them in parallel, and under load both dials complete; the
			// link then runs on one of two connections, and the other
			// link is pruned as a duplicate.
			info := b.AddrInfo()
			info.Addrs = info.Addrs[:1]
			la, err := a.Connect(context.Background(), info)
			require.NoError(t, err)
			lb := <-rb.Ups
			conns := a.Libp2p().Network().ConnsToPeer(b.ID())
			require.Len(t, conns, 1)
			start := time.Now()
			require.NoError(t, conns[0].CloseWithError(network.ConnGarbageCollected))

			<-la.Done()
			<-lb.Done()
			require.Less(t, time.Since(start), time.Second, "a dead connection is not given a GOAWAY grace")
			ea, ok := errors.AsType[*link.Error](la.Err())
			require.True(t, ok)
			require.Equal(t, link.ReasonTrimmed, ea.Reason, "%v", ea)
			require.False(t, ea.Remote, "we trimmed")
			eb, ok := errors.AsType[*link.Error](lb.Err())
			require.True(t, ok)
			if eb.Reason == link.ReasonTrimmed {
				require.True(t, eb.Remote, "the peer trimmed")
			} else {
				require.Equal(t, link.ReasonTransport, eb.Reason, "%v", eb)
			}
			require.Equal(t, link.ReasonTrimmed, peerInfo(a, b.ID()).LastDisconnect)
			require.Equal(t, eb.Reason, peerInfo(b, a.ID()).LastDisconnect)
		})
	}
}

// Any other connection failure stays "transport".
func TestClosedConnectionIsTransport(t *testing.T) {
	rb := linktest.NewRecorder(4)
	a := newHost(t, testConfig(t, "tcp"), nil)
	defer a.Close()
	b := newHost(t, testConfig(t, "tcp"), rb)
	defer b.Close()
	la, err := a.Connect(context.Background(), b.AddrInfo())
	require.NoError(t, err)
	<-rb.Ups
	require.NoError(t, a.Libp2p().Network().ConnsToPeer(b.ID())[0].Close())
	<-la.Done()
	require.Equal(t, link.ReasonTransport, link.ReasonOf(la.Err()), "%v", la.Err())
}
