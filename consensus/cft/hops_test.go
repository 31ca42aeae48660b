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
