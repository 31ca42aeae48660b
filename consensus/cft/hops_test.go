package cft

import (
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHopTimersScaleWithThePath(t *testing.T) {
	one := Timers{Heartbeat: 100 * time.Millisecond, Election: 100 * time.Millisecond, Lease: 50 * time.Millisecond}
	require.Equal(t, one, HopTimers(one, 1), "a mesh keeps the one-hop timers")
	require.Equal(t, one, HopTimers(one, 0), "the one-hop values are a floor")
	require.Equal(t, Timers{600 * time.Millisecond, 600 * time.Millisecond, 300 * time.Millisecond}, HopTimers(one, 3),
		"seven producers on a ring: the 600/600/300 ms measured to hold at load ~36")
	require.Equal(t, 4, HopScale(2))
	require.Equal(t, HopTimers(one, MaxTimerScale), HopTimers(one, 1000), "capped")
	require.Equal(t, MaxTimerScale, HopScale(1000))
}

// Property: the scaled timers never fall below the one-hop ones, grow
// with the hop count, and keep raft's Lease ≤ Heartbeat ≤ Election order.
func TestHopTimersProperties(t *testing.T) {
	f := func(hb, el, ls uint16, hops, more uint8) bool {
		one := Timers{Heartbeat: time.Duration(hb) * time.Millisecond}
		one.Election = one.Heartbeat + time.Duration(el)*time.Millisecond
		one.Lease = one.Heartbeat * time.Duration(ls%101) / 100
		a, b := HopTimers(one, int(hops)), HopTimers(one, int(hops)+int(more))
		return a.Heartbeat >= one.Heartbeat && a.Election >= one.Election && a.Lease >= one.Lease &&
			b.Heartbeat >= a.Heartbeat && b.Election >= a.Election && b.Lease >= a.Lease &&
			a.Lease <= a.Heartbeat && a.Heartbeat <= a.Election
	}
	require.NoError(t, quick.Check(f, nil))
}

// Shaped links: the heartbeat covers twice the worst round trip through
// full queues (4 per hop), the other timers keep their ratio to it; a
// queue the hop rule already covers changes nothing.
func TestQueueTimersCoverTheQueuedRoundTrip(t *testing.T) {
	const ms = time.Millisecond
	lan := Timers{Heartbeat: 100 * ms, Election: 100 * ms, Lease: 100 * ms}
	for _, c := range []struct {
		name  string
		one   Timers
		hops  int
		queue time.Duration
		want  Timers
	}{
		{"unshaped: the hop rule", lan, 2, 0, HopTimers(lan, 2)},
		{"testnet --seeds, 100 ms tbf queues: one hop, 4 queues, twice", lan, 1, 100 * ms, Timers{800 * ms, 800 * ms, 800 * ms}},
		{"two hops", lan, 2, 100 * ms, Timers{1600 * ms, 1600 * ms, 1600 * ms}},
		{"ratios kept", Timers{100 * ms, 200 * ms, 50 * ms}, 1, 100 * ms, Timers{800 * ms, 1600 * ms, 400 * ms}},
		{"short queues: the hop rule is longer", lan, 3, 10 * ms, HopTimers(lan, 3)},
		{"0 hops counts as one", lan, 0, 100 * ms, Timers{800 * ms, 800 * ms, 800 * ms}},
	} {
		got := QueueTimers(c.one, c.hops, c.queue)
		require.Equal(t, c.want, got, c.name)
		require.GreaterOrEqual(t, got.Heartbeat/2, time.Duration(max(c.hops, 1))*4*c.queue, "%s: a heartbeat outlives the queued round trip", c.name)
	}
}
