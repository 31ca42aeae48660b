package link_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

func memPair(t *testing.T, shape link.MemConfig, cfg link.ConnConfig, ha, hb link.Handler) (*link.MemHost, *link.MemHost) {
	t.Helper()
	n, err := link.NewMemNetwork(shape)
	require.NoError(t, err)
	a, err := n.NewHost(newPeerID(t), cfg, ha, zerolog.Logger{})
	require.NoError(t, err)
	b, err := n.NewHost(newPeerID(t), cfg, hb, zerolog.Logger{})
	require.NoError(t, err)
	return a, b
}

// TestMemVirtualTime: on virtual time the in-memory link delivers exactly
// at the configured latency, and bandwidth adds exactly size/rate.
func TestMemVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rb := linktest.NewRecorder(8)
		shape := link.MemConfig{Latency: 5 * time.Millisecond, Bandwidth: 1 << 20}
		a, b := memPair(t, shape, linktest.Config(), nil, rb)
		defer b.Close()
		defer a.Close()
		l, err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		<-rb.Ups
		time.Sleep(1500 * time.Millisecond) // virtual: between pings (1 s), all control frames drained
		synctest.Wait()
		start := time.Now()
		require.NoError(t, l.Send(link.LaneConsensus, []byte("vote")))
		<-rb.Msgs
		// 6 bytes (2 header + 4 payload) at 1 MiB/s, then 5 ms latency.
		size := 6.0
		want := 5*time.Millisecond + time.Duration(size/(1<<20)*float64(time.Second))
		require.Equal(t, want, time.Since(start))

		start = time.Now()
		require.NoError(t, l.Send(link.LaneRouting, make([]byte, 64<<10)))
		<-rb.Msgs
		require.GreaterOrEqual(t, time.Since(start), 5*time.Millisecond+62*time.Millisecond)
	})
}

// TestMemLoss: loss drops whole non-consensus messages, counted at the
// sender; consensus messages are never lost.
func TestMemLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rb := linktest.NewRecorder(4096)
		a, b := memPair(t, link.MemConfig{Loss: 0.5, Seed: 42}, linktest.Config(), nil, rb)
		defer b.Close()
		defer a.Close()
		l, err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		for i := range 1000 {
			require.NoError(t, l.Send(link.LaneRouting, []byte{byte(i)}))
			require.NoError(t, l.Send(link.LaneConsensus, []byte{byte(i)}))
		}
		synctest.Wait()
		got := map[link.Lane]int{}
		for len(rb.Msgs) > 0 {
			got[(<-rb.Msgs).Lane]++
		}
		lost := l.Stats().Lanes[link.LaneRouting].Drops[link.DropSimLoss]
		require.Equal(t, 1000, got[link.LaneConsensus])
		require.EqualValues(t, 1000, uint64(got[link.LaneRouting])+lost)
		require.Positive(t, lost)
	})
}

// TestMemDisconnect: a network cut ends both sides with ReasonTransport,
// and the hosts can connect again.
func TestMemDisconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := link.NewMemNetwork(link.MemConfig{})
		require.NoError(t, err)
		ra, rb := linktest.NewRecorder(8), linktest.NewRecorder(8)
		a, err := n.NewHost(newPeerID(t), linktest.Config(), ra, zerolog.Logger{})
		require.NoError(t, err)
		b, err := n.NewHost(newPeerID(t), linktest.Config(), rb, zerolog.Logger{})
		require.NoError(t, err)
		defer b.Close()
		defer a.Close()
		_, err = a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		<-rb.Ups // a link cut before it is up on b is never announced there
		n.Disconnect(a.ID(), b.ID())
		require.Equal(t, link.ReasonTransport, link.ReasonOf(<-ra.Downs))
		require.Equal(t, link.ReasonTransport, link.ReasonOf(<-rb.Downs))
		_, err = a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
	})
}

// TestLibp2pLogsRouted: libp2p's own logs reach the host's zerolog logger.
func TestLibp2pLogsRouted(t *testing.T) {
	var buf syncBuffer
	cfg := testConfig(t, "tcp")
	cfg.Logger = zerolog.New(&buf).Level(zerolog.DebugLevel)
	h := newHost(t, cfg, nil)
	require.NoError(t, h.Close())
	require.Contains(t, buf.String(), `"component":"libp2p"`)
	require.True(t, strings.Contains(buf.String(), `"logger":`), "libp2p subsystem name kept")
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) lock() {
	if b.mu == nil {
		b.mu = make(chan struct{}, 1)
	}
	b.mu <- struct{}{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.String()
}

// TestConsensusBacklog: our consensus messages are never dropped; when the
// peer stops reading them, the link closes with ReasonConsensusBacklog and
// every message Send accepted before that was queued, none refused.
func TestConsensusBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := linktest.Config()
		cfg.MaxMessage[link.LaneConsensus] = 1 << 10
		cfg.ConsensusQueueBytes = 64 << 10
		rb := linktest.NewRecorder(1024) // room for what is in flight when the gate opens
		rb.Gate, rb.GateLane = make(chan struct{}), link.LaneConsensus
		a, b := memPair(t, link.MemConfig{PipeBuffer: 16 << 10}, cfg, nil, rb)
		defer b.Close()
		defer a.Close()
		defer close(rb.Gate)
		l, err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		msg := make([]byte, 1000)
		var sent int
		for ; sent < 10000; sent++ {
			if err = l.Send(link.LaneConsensus, msg); err != nil {
				break
			}
			synctest.Wait() // let the writer move what it can
		}
		require.Equal(t, link.ReasonConsensusBacklog, link.ReasonOf(err))
		require.Greater(t, sent, 64)
		require.Zero(t, l.Stats().Lanes[link.LaneConsensus].Drops[link.DropQueueFull])
	})
}

// TestSmallWindowLargeMessage: a message many times the credit window and
// the read piece still flows (the receiver never waits for bytes the
// sender may not send yet).
func TestSmallWindowLargeMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := linktest.Config()
		cfg.ChunkSize, cfg.BulkWindow = 4<<10, 8<<10
		rb := linktest.NewRecorder(4)
		a, b := memPair(t, link.MemConfig{Latency: time.Millisecond}, cfg, nil, rb)
		defer b.Close()
		defer a.Close()
		l, err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID()})
		require.NoError(t, err)
		block := bytes.Repeat([]byte{7}, 1<<20)
		require.NoError(t, l.Send(link.LaneBlocks, block))
		m := <-rb.Msgs
		require.Equal(t, block, m.Data)
		require.LessOrEqual(t, l.Stats().Lanes[link.LaneBlocks].Credit, int64(cfg.BulkWindow))
	})
}
