package link_test

import (
	"crypto/rand"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

func newPeerID(t *testing.T) link.PeerID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	id, err := peer.IDFromPublicKey(pub)
	require.NoError(t, err)
	return id
}

func memHarness(shape link.MemConfig) linktest.Harness {
	return linktest.Harness{
		New: func(t *testing.T, cfg link.ConnConfig, hs []link.Handler) []linktest.Node {
			n, err := link.NewMemNetwork(shape)
			require.NoError(t, err)
			out := make([]linktest.Node, len(hs))
			for i, h := range hs {
				id := newPeerID(t)
				mh, err := n.NewHost(id, cfg, h, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel))
				require.NoError(t, err)
				out[i] = linktest.Node{Net: mh, Addr: peer.AddrInfo{ID: id}}
			}
			return out
		},
		Wrap: synctest.Test,
	}
}

func TestMemConformance(t *testing.T) {
	linktest.Run(t, memHarness(link.MemConfig{}))
}

func TestMemConformanceShaped(t *testing.T) {
	linktest.Run(t, memHarness(link.MemConfig{Latency: 5e6, Bandwidth: 100 << 20}))
}
