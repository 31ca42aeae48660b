package linktest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// windowShapes are flow-control configurations at and around the edges
// Validate allows: the smallest window (2 chunks), windows that are not a
// multiple of the chunk size, and windows just below, at and above the
// receiver's 64 KiB read piece, whose frame header (counted against credit)
// once made the receiver wait for bytes the sender had no credit for.
func windowShapes() [][2]int { // {ChunkSize, BulkWindow}
	return [][2]int{
		{4 << 10, 8 << 10},
		{4 << 10, 8<<10 + 1},
		{4 << 10, 12<<10 - 1},
		{4 << 10, 64<<10 - 1},
		{5000, 10007},
		{16 << 10, 32 << 10},
		{16 << 10, 40000},
		{16 << 10, 64 << 10}, // the linkbench hang of 2026-11-20
		{16 << 10, 64<<10 + 3},
		{64 << 10, 128 << 10},
		{40000, 128<<10 - 1},
		{64 << 10, 512 << 10}, // QUIC's default
		{64 << 10, 1<<20 + 7}, // beyond every muxer's initial stream window
	}
}

// windowSizes are message sizes around a shape's chunk, window and the
// read piece: empty, smaller than a chunk, straddling every boundary, and
// several windows long.
func windowSizes(chunk, window int) []int {
	const piece = 64 << 10
	return []int{0, 1, 100, chunk - 1, chunk, chunk + 1, window - 1, window, window + 1,
		piece - 1, piece, piece + 1, 3*window + 7, 1}
}

// testWindowNeverStalls: a configuration Validate accepts moves messages
// of any size on both bulk lanes at once, in order and intact; it never
// stalls on credit. Messages are queued together so that small ones pack
// into one chunk behind or ahead of large ones.
func testWindowNeverStalls(t *testing.T, h Harness, chunk, window int) {
	cfg := Config()
	cfg.ChunkSize, cfg.BulkWindow, cfg.QUICBulkWindow, cfg.BulkConnWindow = chunk, window, window, window
	require.NoError(t, cfg.Validate())
	sizes := windowSizes(chunk, window)
	rb := NewRecorder(2 * len(sizes))
	nodes := h.New(t, cfg, []link.Handler{nil, rb})
	defer closeAll(t, nodes)
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	bulk := []link.Lane{link.LaneBlocks, link.LaneSync}
	want := map[link.Lane][][]byte{}
	for i, n := range sizes {
		for _, lane := range bulk {
			m := pattern(lane, i, n)
			want[lane] = append(want[lane], m)
			require.NoError(t, l.SendWait(ctxT(t), lane, m))
		}
	}
	got := map[link.Lane]int{}
	for range 2 * len(sizes) {
		m := recv(t, rb.Msgs)
		i := got[m.Lane]
		require.True(t, bytes.Equal(want[m.Lane][i], m.Data), "lane %s message %d (%d bytes) differs", m.Lane, i, len(want[m.Lane][i]))
		got[m.Lane]++
	}
	for _, lane := range bulk {
		require.LessOrEqual(t, l.Stats().Lanes[lane].Credit, int64(window), "lane %s", lane)
	}
}

// testStalledConsumerLargeWindow: with a bulk window far above the
// muxers' own stream windows (yamux 256 KiB, QUIC 512 KiB per stream and
// 768 KiB per connection), a peer whose Receive on the blocks lane stalls
// stops that lane's credit only; the peer's reader keeps draining the
// muxer, so our writer never blocks in it, and consensus messages keep
// flowing both ways once the whole window is in flight. (Before the
// inbox, at 256 KiB the writer froze on TCP and the link died of a ping
// timeout.)
func testStalledConsumerLargeWindow(t *testing.T, h Harness) {
	const window = 4 << 20
	cfg := Config()
	cfg.BulkWindow, cfg.QUICBulkWindow, cfg.BulkConnWindow = window, window, window
	require.NoError(t, cfg.Validate())
	ra, rb := NewRecorder(64), NewRecorder(64)
	rb.Gate, rb.GateLane = make(chan struct{}), link.LaneBlocks
	nodes := h.New(t, cfg, []link.Handler{ra, rb})
	defer closeAll(t, nodes)
	openGate := sync.OnceFunc(func() { close(rb.Gate) })
	defer openGate() // before closeAll: a Receive blocked at the gate holds up Close
	l, err := nodes[0].Net.Connect(ctxT(t), nodes[1].Addr)
	require.NoError(t, err)
	<-rb.Ups
	back := nodes[1].Net.Link(nodes[0].Net.ID())
	require.NotNil(t, back)
	// More than a window (and less than a window plus the send queue), in
	// messages that are not a multiple of the chunk.
	const n, size = 44, 100<<10 + 3
	for i := range n {
		require.NoError(t, l.SendWait(ctxT(t), link.LaneBlocks, pattern(link.LaneBlocks, i, size)))
	}
	// Exchange votes until the sender has used up its credit (the window
	// is in flight behind the stalled consumer), then a few more.
	for extra := 0; extra < 5; {
		ping := []byte{byte(extra)}
		require.NoError(t, l.Send(link.LaneConsensus, ping))
		m := recv(t, rb.Msgs)
		require.Equal(t, link.LaneConsensus, m.Lane, "a block was delivered past the gate")
		require.NoError(t, back.Send(link.LaneConsensus, ping))
		require.Equal(t, ping, recv(t, ra.Msgs).Data)
		if st := l.Stats().Lanes[link.LaneBlocks]; st.Credit == 0 && st.QueuedBytes > 0 {
			extra++
		}
	}
	openGate()
	for i := range n {
		m := recv(t, rb.Msgs)
		require.Equal(t, link.LaneBlocks, m.Lane)
		require.Equal(t, pattern(link.LaneBlocks, i, size), m.Data, "block %d", i)
	}
}
