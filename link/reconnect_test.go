package link_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

func p2pAddr(t *testing.T, h *link.Host) string {
	t.Helper()
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Libp2p().Addrs()})
	require.NoError(t, err)
	return addrs[0].String()
}

// nextUp waits for the next Connected event and returns the link.
func nextUp(t *testing.T, r *linktest.Recorder) link.Link {
	t.Helper()
	select {
	case l := <-r.Ups:
		return l
	case <-time.After(20 * time.Second):
		t.Fatal("no link came up")
		return nil
	}
}

// TestRestartReconnect: two nodes list each other as static peers (so
// both dial, and duplicates must collapse); one restarts with the same
// identity and address; the peer manager reconnects within its backoff.
func TestRestartReconnect(t *testing.T) {
	for _, tr := range []string{"tcp", "quic"} {
		t.Run(tr, func(t *testing.T) {
			dir := t.TempDir()
			ra, rb := linktest.NewRecorder(64), linktest.NewRecorder(64)
			cfgB := testConfig(t, tr)
			cfgB.KeyFile = filepath.Join(dir, "b.key")
			b := newHost(t, cfgB, rb)
			bAddr := p2pAddr(t, b)
			cfgA := testConfig(t, tr)
			cfgA.KeyFile = filepath.Join(dir, "a.key")
			cfgA.StaticPeers = []string{bAddr}
			cfgA.Rand = rand.New(rand.NewPCG(1, 2))
			a := newHost(t, cfgA, ra)
			defer a.Close()

			first := nextUp(t, ra)
			require.Equal(t, b.ID(), first.Peer())
			require.NoError(t, b.Close())
			<-first.Done()

			// Restart B on the same address, now with A as its static peer too.
			cfgB.ListenAddrs = []string{listenOf(t, bAddr)}
			cfgB.StaticPeers = []string{p2pAddr(t, a)}
			b2 := newHost(t, cfgB, rb)
			defer b2.Close()
			require.Equal(t, b.ID(), b2.ID(), "identity not reloaded from the key file")
			for {
				l := nextUp(t, ra)
				if l.Err() == nil && exchange(t, l, rb) {
					break
				}
			}
			// Both sides settle on one link over the same connection.
			require.Eventually(t, func() bool {
				la, lb := a.Link(b2.ID()), b2.Link(a.ID())
				return la != nil && lb != nil && la.Direction() != lb.Direction() &&
					len(a.Links()) == 1 && len(b2.Links()) == 1
			}, 20*time.Second, 10*time.Millisecond)
		})
	}
}

// exchange sends on l and reports whether r received it before l ended.
func exchange(t *testing.T, l link.Link, r *linktest.Recorder) bool {
	t.Helper()
	if l.Send(link.LaneConsensus, []byte("hi")) != nil {
		return false
	}
	select {
	case <-r.Msgs:
		return true
	case <-l.Done():
		return false
	case <-time.After(20 * time.Second):
		t.Fatal("message not delivered")
		return false
	}
}

// listenOf strips the /p2p/ part of a multiaddr string.
func listenOf(t *testing.T, addr string) string {
	t.Helper()
	info, err := peer.AddrInfoFromString(addr)
	require.NoError(t, err)
	return info.Addrs[0].String()
}
