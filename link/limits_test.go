package link_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// TestInboundLimit: beyond MaxInbound the gater refuses new peers, except
// protected ones (producers).
func TestInboundLimit(t *testing.T) {
	peers := make([]*link.Host, 3)
	for i := range peers {
		peers[i] = newHost(t, testConfig(t, "tcp"), nil)
		defer peers[i].Close()
	}
	cfg := testConfig(t, "tcp")
	cfg.MaxInbound, cfg.MaxOutbound = 1, 1
	cfg.ProtectedPeers = []link.PeerID{peers[2].ID()}
	rv := linktest.NewRecorder(16)
	v := newHost(t, cfg, rv)
	defer v.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := peers[0].Connect(ctx, v.AddrInfo())
	require.NoError(t, err)
	<-rv.Ups

	short, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	_, err = peers[1].Connect(short, v.AddrInfo())
	require.Error(t, err, "a second inbound peer got in")
	require.Nil(t, v.Link(peers[1].ID()))

	_, err = peers[2].Connect(ctx, v.AddrInfo())
	require.NoError(t, err, "a protected peer is exempt from MaxInbound")
	<-rv.Ups
	require.Len(t, v.Links(), 2)

	// A peer protected at run time (a new producer) gets in too.
	p3 := newHost(t, testConfig(t, "tcp"), nil)
	defer p3.Close()
	v.SetProtected(p3.ID(), true)
	_, err = p3.Connect(ctx, v.AddrInfo())
	require.NoError(t, err)
	<-rv.Ups

	// Outbound: MaxOutbound = 1 dial, then ErrConnLimit.
	o1 := newHost(t, testConfig(t, "tcp"), nil)
	defer o1.Close()
	o2 := newHost(t, testConfig(t, "tcp"), nil)
	defer o2.Close()
	_, err = v.Connect(ctx, o1.AddrInfo())
	require.NoError(t, err)
	_, err = v.Connect(ctx, o2.AddrInfo())
	require.ErrorIs(t, err, link.ErrConnLimit)
}
