package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is a receiver that notes when each message arrives.
type recorder struct {
	e   *engine
	got []arrival
}

type arrival struct {
	at      time.Duration
	payload any
}

func (r *recorder) deliver(_ int, m *wireMsg) { r.got = append(r.got, arrival{r.e.now, m.payload}) }
func (r *recorder) connected(int)             {}
func (r *recorder) disconnected(int)          {}

// twoNodes is one link at 8 Mbit/s (1 byte per µs), 10 ms latency, 1000
// byte chunks, already connected.
func twoNodes(t *testing.T) (*engine, *network, *recorder) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Bandwidth, cfg.Latency, cfg.Chunk = 2, 8_000_000, 10*time.Millisecond, 1000
	e := newEngine(1)
	g := graph{{1}, {0}}
	n := newNetwork(e, &cfg, g, &netStats{})
	rec := &recorder{e: e}
	n.nodes = []receiver{rec, rec}
	n.up = []bool{true, true}
	n.banned = func(int, int) bool { return false }
	n.reconcile()
	drain(e)
	require.True(t, n.links[[2]int{0, 1}].up)
	return e, n, rec
}

func TestControlLaneOvertakesABlockAtAChunkBoundary(t *testing.T) {
	e, n, rec := twoNodes(t)
	start := e.now
	n.send(0, 1, &wireMsg{lane: laneBlocks, size: 10_000, payload: "block"})
	e.after(2500*time.Microsecond, evFault, 0, 0, 0, func() {
		n.send(0, 1, &wireMsg{lane: laneControl, size: 100, payload: "hello"})
	})
	drain(e)
	require.Len(t, rec.got, 2)
	// The hello waits for the chunk in progress (ends at 3 ms), takes
	// 100 µs, then 10 ms of latency; the block's 10 ms of serialization is
	// pushed back by the hello's 100 µs.
	require.Equal(t, arrival{start + 13100*time.Microsecond, "hello"}, rec.got[0])
	require.Equal(t, arrival{start + 20100*time.Microsecond, "block"}, rec.got[1])
}

func TestLanesStayInOrderUnderJitter(t *testing.T) {
	e, n, rec := twoNodes(t)
	n.cfg.Jitter = 5 * time.Millisecond
	for i := range 50 {
		n.send(0, 1, &wireMsg{lane: laneBlocks, size: 10, payload: i})
	}
	drain(e)
	require.Len(t, rec.got, 50)
	for i, a := range rec.got {
		require.Equal(t, i, a.payload)
	}
}

func TestOneWayCutHoldsMessagesUntilHeal(t *testing.T) {
	e, n, rec := twoNodes(t)
	cut := &Fault{Kind: FaultOneWay, Groups: [][]int{{0}, {1}}}
	n.holds = append(n.holds, cut)
	n.send(0, 1, &wireMsg{lane: laneControl, size: 10, payload: "a"})
	n.send(0, 1, &wireMsg{lane: laneBlocks, size: 10, payload: "b"})
	n.send(1, 0, &wireMsg{lane: laneControl, size: 10, payload: "back"})
	drain(e)
	require.Len(t, rec.got, 1, "the other direction flows")
	n.holds = nil
	n.reconcile()
	require.Equal(t, []any{"back", "a", "b"}, []any{rec.got[0].payload, rec.got[1].payload, rec.got[2].payload})
}

func TestPartitionClosesAndRedials(t *testing.T) {
	e, n, rec := twoNodes(t)
	l := n.links[[2]int{0, 1}]
	n.send(0, 1, &wireMsg{lane: laneBlocks, size: 100_000, payload: "lost"})
	cut := &Fault{Kind: FaultPartition, Groups: [][]int{{0}, {1}}}
	n.cuts = append(n.cuts, cut)
	n.reconcile()
	require.False(t, l.up)
	drain(e)
	require.Empty(t, rec.got, "messages in flight die with the connection")
	n.cuts = nil
	n.reconcile()
	drain(e)
	require.True(t, l.up)
}

func TestIdealDissemination(t *testing.T) {
	line := graph{{1}, {0, 2}, {1, 3}, {2}}
	require.Equal(t, 3*time.Second, idealDissemination(line, 0, time.Second))
	require.Equal(t, 2*time.Second, idealDissemination(line, 1, time.Second))
}

// drain runs every queued event.
func drain(e *engine) {
	for e.step(time.Hour) {
		// each step runs one event
	}
}
