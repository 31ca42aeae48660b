package linktest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// testConsensusPastStuckBulkWrite: a consensus message never waits for a
// bulk write. The peer's blocks Receive stalls with a window far above
// the muxer's stream window, and we send small blocks until its delivery
// queue is full (its reader then stops draining the muxer), the muxer's
// stream window is full and our bulk write blocks inside the muxer with
// credit and bytes to spare. Votes must still go through both ways, at
// once. (With one writer for every lane, the vote waited behind that
// blocked write until WriteTimeout ended the link: issue 14.)
func testConsensusPastStuckBulkWrite(t *testing.T, h Harness) {
	cfg := Config()
	cfg.BulkWindow, cfg.QUICBulkWindow, cfg.BulkConnWindow = link.MaxBulkWindow, link.MaxBulkWindow, link.MaxBulkWindow
	cfg.SendQueueBytes = 2 * link.MaxBulkWindow
	cfg.InboundMsgRate[link.LaneBlocks] = 0 // unlimited: tens of thousands of small blocks
	require.NoError(t, cfg.Validate())
	const size, n = 1 << 10, link.MaxBulkWindow / (1 << 10) * 15 / 16 // within one window
	ra, rb := NewRecorder(64), NewRecorder(n+64)
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
	block := make([]byte, size)
	for range n {
		require.NoError(t, l.Send(link.LaneBlocks, block))
	}
	// Stuck: bytes queued, credit to send them, and nothing written
	// between two looks.
	var last uint64
	require.Eventually(t, func() bool {
		st := l.Stats().Lanes[link.LaneBlocks]
		stuck := st.QueuedBytes > 0 && st.Credit > 0 && st.BytesOut == last
		last = st.BytesOut
		return stuck
	}, 25*time.Second, 200*time.Millisecond, "the bulk write never blocked in the muxer")
	require.NoError(t, l.Err())
	for i := range 3 {
		vote := []byte{byte(i)}
		require.NoError(t, l.Send(link.LaneConsensus, vote))
		m := recv(t, rb.Msgs)
		require.Equal(t, link.LaneConsensus, m.Lane)
		require.NoError(t, back.Send(link.LaneConsensus, vote))
		require.Equal(t, vote, recv(t, ra.Msgs).Data)
	}
	require.NoError(t, l.Err(), "the link must survive a bulk write blocked in the muxer")
}
