package link_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// logSink collects log lines from several goroutines.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logSink) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// Issue 12 item 7: a static peer on another chain is refused at lane
// setup, once, with a reason naming both chain ids, and is not redialed
// every few seconds. On the old code the two nodes linked (the
// application then dropped them every 1–3 s with "irreversible-fork").
func TestWrongChainIsRefusedOnce(t *testing.T) {
	bcfg := testConfig(t, "tcp")
	bcfg.ChainID[0] = 0xbb
	blog := &logSink{}
	bcfg.Logger = zerolog.New(blog)
	b := newHost(t, bcfg, nil)
	defer b.Close()

	acfg := testConfig(t, "tcp")
	acfg.ChainID[0] = 0xaa
	alog := &logSink{}
	acfg.Logger = zerolog.New(alog)
	acfg.StaticPeers = []string{b.AddrInfo().Addrs[0].String() + "/p2p/" + b.ID().String()}
	a := newHost(t, acfg, nil)
	defer a.Close()

	waitFor(t, nil, func() bool { return peerInfo(a, b.ID()).LastDisconnect == link.ReasonWrongChain })
	waitFor(t, nil, func() bool { return peerInfo(b, a.ID()).LastDisconnect == link.ReasonWrongChain })
	pi := peerInfo(a, b.ID())
	require.Contains(t, pi.LastError, "wrong-chain: theirs bb00")
	require.Contains(t, pi.LastError, ", ours aa00")
	require.Contains(t, peerInfo(b, a.ID()).LastError, "wrong-chain: theirs aa00")
	require.Nil(t, a.Link(b.ID()))

	// ReconnectMin is 20 ms here: the old peer manager would have redialed
	// dozens of times in this second.
	time.Sleep(time.Second)
	require.Equal(t, 1, alog.count("peer refused"), "the dialer refused more than once")
	require.Equal(t, 1, blog.count("peer refused"), "the listener refused more than once")
	require.Nil(t, a.Link(b.ID()))

	// An explicit Connect says why.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.Connect(ctx, b.AddrInfo())
	require.ErrorContains(t, err, "wrong-chain")

	// Same chain: linked as usual.
	ccfg := testConfig(t, "tcp")
	ccfg.ChainID = acfg.ChainID
	c := newHost(t, ccfg, nil)
	defer c.Close()
	_, err = c.Connect(ctx, a.AddrInfo())
	require.NoError(t, err)
}
