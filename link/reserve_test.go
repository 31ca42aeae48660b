package link_test

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// protocolMemory is the memory our protocol holds in h's resource manager.
func protocolMemory(t *testing.T, h *link.Host) int64 {
	t.Helper()
	var m int64
	err := h.Libp2p().Network().ResourceManager().ViewProtocol(link.ProtocolID, func(s network.ProtocolScope) error {
		m = s.Stat().Memory
		return nil
	})
	require.NoError(t, err)
	return m
}

// A large message is reserved from the libp2p resource manager while it is
// received and delivered, and released afterwards; a small one is not.
func TestLargeReceiveIsReservedFromTheResourceManager(t *testing.T) {
	for _, transport := range []string{"tcp", "quic"} {
		t.Run(transport, func(t *testing.T) {
			held := make(chan int64, 2)
			var b *link.Host
			b = newHost(t, testConfig(t, transport), link.HandlerFuncs{OnReceive: func(_ link.Link, _ link.Lane, _ []byte) {
				held <- protocolMemory(t, b)
			}})
			defer b.Close()
			a := newHost(t, testConfig(t, transport), nil)
			defer a.Close()
			l, err := a.Connect(context.Background(), b.AddrInfo())
			require.NoError(t, err)

			const size = 4 << 20
			require.NoError(t, l.Send(link.LaneBlocks, bytes.Repeat([]byte{7}, size)))
			require.GreaterOrEqual(t, <-held, int64(size), "reserved during delivery")
			require.Eventually(t, func() bool { return protocolMemory(t, b) == 0 }, 10*time.Second, 5*time.Millisecond,
				"released after delivery")
			require.NoError(t, l.Send(link.LaneBlocks, make([]byte, 64<<10)))
			require.Zero(t, <-held, "a small message reserves nothing")
		})
	}
}

// On the in-memory network a host's ReceiveMemory bounds the large
// messages it receives at once: within it, messages arrive (the budget is
// given back after each); beyond it, the link ends with ReasonResource,
// the drop is counted, and the sender is not charged.
func TestReceiveBudgetRefusalEndsTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rb := linktest.NewRecorder(4)
		shape := link.MemConfig{Latency: time.Millisecond, ReceiveMemory: 2 << 20}
		a, b := memPair(t, shape, link.DefaultConnConfig(), nil, rb)
		defer b.Close()
		defer a.Close()
		l, err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		for range 2 {
			require.NoError(t, l.Send(link.LaneBlocks, make([]byte, 3<<19))) // 1.5 MiB
			require.Len(t, (<-rb.Msgs).Data, 3<<19)
		}
		lb := <-rb.Ups
		require.NoError(t, l.Send(link.LaneBlocks, make([]byte, 3<<20)))
		<-l.Done()
		require.Equal(t, link.ReasonResource, link.ReasonOf(l.Err()), "the sender hears why: %v", l.Err())
		<-lb.Done()
		require.Equal(t, link.ReasonResource, link.ReasonOf(lb.Err()))
		require.ErrorIs(t, lb.Err(), network.ErrResourceLimitExceeded)
		require.Equal(t, uint64(1), lb.Stats().Lanes[link.LaneBlocks].Drops[link.DropResource])
		pi := peerInfo(b, a.ID())
		require.Zero(t, pi.Score, "a refusal is not the sender's fault")
		require.Equal(t, link.ReasonResource, pi.LastDisconnect)
	})
}
