// Package linktest is the conformance suite that every implementation of
// link.Network runs: the libp2p Host (over TCP and QUIC on loopback) and the
// in-memory MemNetwork (under testing/synctest). It checks the contracts in
// link's doc: per-lane order and integrity, lane independence, queue
// bounds and drop accounting, modes, close reasons, bans and duplicate
// pruning. It asserts no timings.
package linktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// Node is one host made by a Harness, with the address to dial it.
type Node struct {
	Net  link.Network
	Addr peer.AddrInfo
}

// Harness adapts an implementation to the suite.
type Harness struct {
	// New makes len(handlers) hosts with cfg, closed by the caller (the
	// suite closes them before the test body returns).
	New func(t *testing.T, cfg link.ConnConfig, handlers []link.Handler) []Node
	// Wrap runs a test body, e.g. inside synctest.Test; nil runs it as is.
	Wrap func(t *testing.T, body func(t *testing.T))
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		f    func(t *testing.T, h Harness)
	}{
		{"RoundTripInOrder", testRoundTrip},
		{"ConsensusNotBehindBlock", testConsensusFirst},
		{"SlowConsumerBackPressure", testBackPressure},
		{"StalledConsumerLargeWindow", testStalledConsumerLargeWindow},
		{"ConsensusPastStuckBulkWrite", testConsensusPastStuckBulkWrite},
		{"Limits", testLimits},
		{"ModeOff", testModeOff},
		{"CloseReason", testCloseReason},
		{"BanUnban", testBan},
		{"DuplicateCollapse", testDuplicate},
	}
	for _, s := range windowShapes() {
		tests = append(tests, struct {
			name string
			f    func(t *testing.T, h Harness)
		}{fmt.Sprintf("WindowNeverStalls_chunk%d_window%d", s[0], s[1]), func(t *testing.T, h Harness) {
			testWindowNeverStalls(t, h, s[0], s[1])
		}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if h.Wrap != nil {
				h.Wrap(t, func(t *testing.T) { tc.f(t, h) })
				return
			}
			tc.f(t, h)
		})
	}
}

// Config is a small configuration that keeps the suite quick.
func Config() link.ConnConfig {
	c := link.DefaultConnConfig()
	c.MaxMessage[link.LaneBlocks] = 32 << 20
	c.SendQueueBytes = 1 << 20
	c.ChunkSize = 16 << 10
	c.BulkWindow = 128 << 10
	c.PingInterval = time.Second
	c.PingTimeout = 5 * time.Second
	c.WriteTimeout = 5 * time.Second
	return c
}

// Msg is one received message.
type Msg struct {
	From link.PeerID
	Lane link.Lane
	Data []byte
}

// Recorder is a Handler that forwards everything to channels. Receive
// blocks when Msgs is full, which back-pressures the lane.
type Recorder struct {
	Msgs  chan Msg
	Ups   chan link.Link
	Downs chan error
	// Gate, if set, is waited on before delivering messages of GateLane.
	Gate     chan struct{}
	GateLane link.Lane
}

// NewRecorder returns a Recorder with buffers of n messages.
func NewRecorder(n int) *Recorder {
	return &Recorder{Msgs: make(chan Msg, n), Ups: make(chan link.Link, 16), Downs: make(chan error, 16)}
}

// Connected implements link.Handler.
func (r *Recorder) Connected(l link.Link) { r.Ups <- l }

// Receive implements link.Handler.
func (r *Recorder) Receive(l link.Link, lane link.Lane, msg []byte) {
	if r.Gate != nil && lane == r.GateLane {
		<-r.Gate
	}
	r.Msgs <- Msg{From: l.Peer(), Lane: lane, Data: msg}
}

// Disconnected implements link.Handler.
func (r *Recorder) Disconnected(_ link.Link, err error) { r.Downs <- err }

func closeAll(t *testing.T, nodes []Node) {
	t.Helper()
	for _, n := range nodes {
		require.NoError(t, n.Net.Close())
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pattern(lane link.Lane, i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(int(lane)*31 + i*7 + j)
	}
	return b
}

func recv(t *testing.T, ch chan Msg) Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for a message")
		return Msg{}
	}
}

func testRoundTrip(t *testing.T, h Harness) {
	rb := NewRecorder(1024)
	nodes := h.New(t, Config(), []link.Handler{nil, rb})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	sizes := []int{0, 1, 100, 16 << 10, 16<<10 + 1, 300 << 10, 1 << 20}
	want := map[link.Lane][][]byte{}
	for i, n := range sizes {
		for lane := range link.Lane(link.NumLanes) {
			if n > 1<<20 && lane == link.LaneRouting {
				continue
			}
			m := pattern(lane, i, n)
			want[lane] = append(want[lane], m)
			require.NoError(t, l.SendWait(ctxT(t), lane, m))
		}
	}
	got := map[link.Lane][][]byte{}
	total := 0
	for _, w := range want {
		total += len(w)
	}
	for range total {
		m := recv(t, rb.Msgs)
		require.Equal(t, nodes[0].Net.ID(), m.From)
		got[m.Lane] = append(got[m.Lane], m.Data)
	}
	for lane, w := range want {
		require.Len(t, got[lane], len(w), "lane %s", lane)
		for i := range w {
			require.True(t, bytes.Equal(w[i], got[lane][i]), "lane %s message %d differs", lane, i)
		}
	}
	st := l.Stats()
	require.EqualValues(t, len(want[link.LaneBlocks]), st.Lanes[link.LaneBlocks].MsgsOut)
	rl := nodes[1].Net.Link(nodes[0].Net.ID())
	require.NotNil(t, rl)
	require.Equal(t, st.Lanes[link.LaneBlocks].BytesOut, rl.Stats().Lanes[link.LaneBlocks].BytesIn)
	require.Equal(t, link.Outbound, l.Direction())
	require.Equal(t, link.Inbound, rl.Direction())
}

// testConsensusFirst: a consensus message sent after a large block is
// delivered before the block: it does not wait behind it.
func testConsensusFirst(t *testing.T, h Harness) {
	rb := NewRecorder(16)
	nodes := h.New(t, Config(), []link.Handler{nil, rb})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	require.NoError(t, l.Send(link.LaneBlocks, make([]byte, 24<<20)))
	require.NoError(t, l.Send(link.LaneConsensus, []byte("vote")))
	require.NoError(t, l.Send(link.LaneRouting, []byte("route")))
	first := recv(t, rb.Msgs)
	require.NotEqual(t, link.LaneBlocks, first.Lane, "a small message waited behind a 24 MiB block")
	lanes := map[link.Lane]bool{first.Lane: true}
	for range 2 {
		lanes[recv(t, rb.Msgs).Lane] = true
	}
	require.Len(t, lanes, 3)
}

// testBackPressure: a receiver that stops consuming blocks fills the
// sender's queue (ErrQueueFull, counted), while consensus keeps flowing.
func testBackPressure(t *testing.T, h Harness) {
	rb := NewRecorder(64)
	rb.Gate, rb.GateLane = make(chan struct{}), link.LaneBlocks
	cfg := Config()
	nodes := h.New(t, cfg, []link.Handler{nil, rb})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	block := make([]byte, 64<<10)
	var full error
	for range 1000 {
		if full = l.Send(link.LaneBlocks, block); full != nil {
			break
		}
	}
	require.ErrorIs(t, full, link.ErrQueueFull)
	require.Positive(t, l.Stats().Lanes[link.LaneBlocks].Drops[link.DropQueueFull])
	require.LessOrEqual(t, l.Stats().Lanes[link.LaneBlocks].QueuedBytes, int64(cfg.SendQueueBytes))

	// The writer may still free the credit window's worth of queue; once
	// that is gone, SendWait must wait and time out.
	for range 100 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err = l.SendWait(ctx, link.LaneBlocks, block)
		cancel()
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)

	for i := range 10 {
		require.NoError(t, l.Send(link.LaneConsensus, []byte{byte(i)}))
		m := recv(t, rb.Msgs)
		require.Equal(t, link.LaneConsensus, m.Lane)
		require.Equal(t, []byte{byte(i)}, m.Data)
	}
	close(rb.Gate) // the consumer resumes: everything queued arrives
	require.NoError(t, l.SendWait(ctxT(t), link.LaneBlocks, []byte("last")))
	for {
		m := recv(t, rb.Msgs)
		if string(m.Data) == "last" {
			break
		}
	}
}

func testLimits(t *testing.T, h Harness) {
	cfg := Config()
	nodes := h.New(t, cfg, []link.Handler{nil, nil})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	require.ErrorIs(t, l.Send(link.LaneRouting, make([]byte, cfg.MaxMessage[link.LaneRouting]+1)), link.ErrTooLarge)
	require.ErrorIs(t, l.Send(link.Lane(9), nil), link.ErrUnknownLane)
	require.Equal(t, l, nodes[0].Net.Link(nodes[1].Net.ID()))
	require.Len(t, nodes[0].Net.Links(), 1)
}

func testModeOff(t *testing.T, h Harness) {
	nodes := h.New(t, Config(), []link.Handler{nil, nil})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	require.Equal(t, link.ModeActive, l.Mode())
	l.SetMode(link.ModeOff)
	require.Equal(t, link.ModeOff, l.Mode())
	require.ErrorIs(t, l.Send(link.LaneBlocks, []byte("b")), link.ErrModeOff)
	require.NoError(t, l.Send(link.LaneSync, []byte("header")))
	require.EqualValues(t, 1, l.Stats().Lanes[link.LaneBlocks].Drops[link.DropModeOff])
	l.SetMode(link.ModeBackup)
	require.NoError(t, l.Send(link.LaneBlocks, []byte("b")))
}

func testCloseReason(t *testing.T, h Harness) {
	ra, rb := NewRecorder(16), NewRecorder(16)
	nodes := h.New(t, Config(), []link.Handler{ra, rb})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	<-rb.Ups
	l.Close(errors.New("irreversibly forked"))
	<-l.Done()
	require.Equal(t, link.ReasonApplication, link.ReasonOf(l.Err()))
	require.ErrorIs(t, l.Err(), net.ErrClosed)
	require.ErrorIs(t, <-ra.Downs, net.ErrClosed)
	err = <-rb.Downs
	var le *link.Error
	require.ErrorAs(t, err, &le)
	require.Equal(t, link.ReasonApplication, le.Reason)
	require.True(t, le.Remote)
	require.Contains(t, le.Detail, "irreversibly forked")
	require.ErrorIs(t, l.Send(link.LaneConsensus, nil), net.ErrClosed)
	require.Nil(t, nodes[0].Net.Link(nodes[1].Net.ID()))
	var pi link.PeerInfo
	for _, p := range nodes[1].Net.Peers() {
		if p.Peer == nodes[0].Net.ID() {
			pi = p
		}
	}
	require.Equal(t, link.ReasonApplication, pi.LastDisconnect)
	require.False(t, pi.Connected)
}

func testBan(t *testing.T, h Harness) {
	ra, rb := NewRecorder(16), NewRecorder(16)
	nodes := h.New(t, Config(), []link.Handler{ra, rb})
	defer closeAll(t, nodes)
	a, b := nodes[0].Net, nodes[1].Net
	l, err := a.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	<-ra.Ups
	<-rb.Ups // a ban during link setup drops the connection without a reason
	b.Ban(a.ID(), time.Hour, "operator says so")
	<-l.Done()
	require.Equal(t, link.ReasonBanned, link.ReasonOf(<-ra.Downs))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err = a.Connect(ctx, nodes[1].Addr)
	cancel()
	require.Error(t, err)
	var banned bool
	for _, p := range b.Peers() {
		if p.Peer == a.ID() && p.Ban != nil {
			banned = p.Ban.Operator && p.Ban.Reason == "operator says so"
		}
	}
	require.True(t, banned)
	b.Unban(a.ID())
	_, err = a.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
}

// testDuplicate: both sides dial at once; each ends with one link and the
// same connection survives on both sides (opposite directions), with
// messages flowing both ways.
func testDuplicate(t *testing.T, h Harness) {
	ra, rb := NewRecorder(64), NewRecorder(64)
	nodes := h.New(t, Config(), []link.Handler{ra, rb})
	defer closeAll(t, nodes)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			// One Connect may return the pruned link or its end, or fail
			// if its connection lost the race; the surviving link is what
			// counts. Both failing is the bug this case exists for (TCP
			// simultaneous open between two reused listen ports).
			if _, err := nodes[i].Net.Connect(ctxT(t), nodes[1-i].Addr); err != nil {
				t.Logf("connect %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	a, b := nodes[0].Net, nodes[1].Net
	timeout := time.After(30 * time.Second)
	for {
		la, lb := a.Link(b.ID()), b.Link(a.ID())
		if la != nil && lb != nil && la.Direction() != lb.Direction() && la.Err() == nil && lb.Err() == nil &&
			exchange(t, la, rb) && exchange(t, lb, ra) {
			require.Len(t, a.Links(), 1)
			require.Len(t, b.Links(), 1)
			return
		}
		select { // wait for the next link event on either side
		case <-ra.Ups:
		case <-rb.Ups:
		case err := <-ra.Downs: // the pruned duplicate; its reason helps a failure
			t.Logf("a: link down: %v", err)
		case err := <-rb.Downs:
			t.Logf("b: link down: %v", err)
		case <-timeout:
			t.Fatal("links did not settle to one shared connection")
		}
	}
}

// exchange sends a consensus message on l and reports whether r received
// it before l ended (a link being pruned may lose it).
func exchange(t *testing.T, l link.Link, r *Recorder) bool {
	t.Helper()
	if l.Send(link.LaneConsensus, []byte("hello")) != nil {
		return false
	}
	select {
	case m := <-r.Msgs:
		require.Equal(t, []byte("hello"), m.Data)
		return true
	case <-l.Done():
		return false
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for a message")
		return false
	}
}
