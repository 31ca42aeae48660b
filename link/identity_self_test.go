package link

import (
	"bytes"
	"sync"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/multiformats/go-multiaddr"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type connAddrs struct{ local, remote multiaddr.Multiaddr }

func (c connAddrs) LocalMultiaddr() multiaddr.Multiaddr  { return c.local }
func (c connAddrs) RemoteMultiaddr() multiaddr.Multiaddr { return c.remote }

// Issue 12 item 7: a connection whose authenticated peer id is our own —
// another node runs with this node's key — is refused and logged as such.
func TestPeerWithOurOwnIdentityIsRefused(t *testing.T) {
	logs := &lockedBuf{}
	cfg := DefaultConfig()
	cfg.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.QUIC = false
	cfg.Logger = zerolog.New(logs)
	h, err := New(cfg, nil)
	require.NoError(t, err)
	defer h.Close()
	addrs := connAddrs{multiaddr.StringCast("/ip4/127.0.0.1/tcp/1"), multiaddr.StringCast("/ip4/10.0.0.9/tcp/9000")}
	g := &gater{h: h}
	require.False(t, g.InterceptSecured(network.DirInbound, h.ID(), addrs))
	require.Contains(t, logs.String(), "another node runs with this node's key")
	require.Contains(t, logs.String(), "/ip4/10.0.0.9/tcp/9000")
}
