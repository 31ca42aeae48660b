package link

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Unit tests of the pure session core: build it, step inputs, look at the
// outputs (no goroutines, no sleeps, time as an input).

var t0 = time.Unix(1_700_000_000, 0)

func newTestCore(t *testing.T) *sessCore {
	t.Helper()
	cfg := fuzzConnConfig()
	c := newSessCore(cfg, cfg.BulkWindow, 0, t0)
	w, ok := c.next(nil, false) // the initial grants and PING
	require.True(t, ok)
	require.True(t, w.ctrl)
	return c
}

func TestCoreConsensusBacklogEndsTheLinkWithGoAway(t *testing.T) {
	c := newTestCore(t)
	vote := func() *outMsg { return newOutMsg(make([]byte, 1000)) }
	for range 4 {
		require.Equal(t, admitQueued, c.enqueue(LaneConsensus, vote(), false, false))
	}
	require.Equal(t, admitBacklog, c.enqueue(LaneConsensus, vote(), false, false), "4 KiB bound, nothing read")
	first, _ := c.fail(c.backlog())
	require.True(t, first)
	require.Equal(t, ReasonConsensusBacklog, c.err.Reason)
	require.Equal(t, admitClosed, c.enqueue(LaneRouting, vote(), false, false))
	g := c.goAway()
	require.Equal(t, frameGoAway, g[0])
	require.Equal(t, reasonCode(ReasonConsensusBacklog), g[2])
	require.EqualValues(t, 4, c.laneStats()[LaneConsensus].Drops[DropClosed])
	_, ok := c.next(nil, false)
	require.False(t, ok, "nothing but the GOAWAY is written after the end")
}

func TestCoreQueueFullAndBudgetAreCountedDrops(t *testing.T) {
	c := newTestCore(t)
	big := func() *outMsg { return newOutMsg(make([]byte, 6<<10)) }
	require.Equal(t, admitQueued, c.enqueue(LaneSync, big(), false, false))
	require.Equal(t, admitFull, c.enqueue(LaneSync, big(), false, false), "8 KiB per lane")
	require.Equal(t, admitFull, c.enqueue(LaneSync, big(), false, true), "a waiting send is not a drop")
	require.Equal(t, admitBudget, c.enqueue(LaneBlocks, big(), true, false))
	c.mode = ModeOff
	require.Equal(t, admitModeOff, c.enqueue(LaneBlocks, big(), false, false))
	st := c.laneStats()
	require.EqualValues(t, 1, st[LaneSync].Drops[DropQueueFull])
	require.EqualValues(t, 1, st[LaneBlocks].Drops[DropBudget])
	require.EqualValues(t, 1, st[LaneBlocks].Drops[DropModeOff])
}

func TestCorePingPongAndTimeout(t *testing.T) {
	c := newTestCore(t)
	var nonce [8]byte
	nonce[7] = 1 // the first PING's nonce
	_, err := c.control(framePong, nonce[:], t0.Add(3*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, 3*time.Millisecond, c.srtt)

	r := c.tick(t0.Add(2 * time.Second)) // sends the next PING
	require.Nil(t, r.end)
	require.Nil(t, c.tick(t0.Add(7*time.Second)).end, "5 s after the PING is not yet late")
	r = c.tick(t0.Add(7*time.Second + time.Millisecond))
	require.NotNil(t, r.end)
	require.Equal(t, ReasonTimeout, r.end.Reason)
}

func TestCorePingsBeyondTheRateAreShed(t *testing.T) {
	c := newTestCore(t)
	var nonce [8]byte
	for i := range pingBurst {
		out, err := c.control(framePing, nonce[:], t0)
		require.NoError(t, err)
		require.Equal(t, ctlWake, out, "ping %d", i)
	}
	out, _ := c.control(framePing, nonce[:], t0)
	require.Equal(t, ctlFlood, out)
	require.EqualValues(t, 1, c.tick(t0.Add(time.Second)).shed)
	require.Zero(t, c.tick(t0.Add(2*time.Second)).shed, "reported once")
}

func TestCoreStallWatchdog(t *testing.T) {
	c := newTestCore(t)
	stall := c.cfg.StallTimeout
	// A message announced on the routing lane that stops arriving.
	_, err := c.msgStart(LaneRouting, 100, 2, t0)
	require.NoError(t, err)
	require.Nil(t, c.tick(t0.Add(stall)).stall)
	f := c.tick(t0.Add(stall + time.Millisecond)).stall
	require.NotNil(t, f)
	require.Equal(t, ReasonStalled, f.reason)

	// A bulk lane whose credit we withhold is waiting on us, not stalled.
	c = newTestCore(t)
	c.credit[LaneBlocks].queued(10) // a message waits for delivery
	_, err = c.msgStart(LaneBlocks, 1<<20, 3, t0)
	require.NoError(t, err)
	_, err = c.msgBytes(LaneBlocks, int(c.avail(LaneBlocks)), t0) // all credit used, withheld
	require.NoError(t, err)
	require.Zero(t, c.avail(LaneBlocks))
	require.Nil(t, c.tick(t0.Add(10*stall)).stall)

	// Our queued bytes with no credit from the peer for BulkStallTimeout.
	c = newTestCore(t)
	require.Equal(t, admitQueued, c.enqueue(LaneSync, newOutMsg(make([]byte, 100)), false, false))
	c.tick(t0) // starts the starvation clock
	require.Nil(t, c.tick(t0.Add(c.cfg.BulkStallTimeout)).stall)
	require.NotNil(t, c.tick(t0.Add(c.cfg.BulkStallTimeout+time.Millisecond)).stall)
}

func TestCoreCreditOverrunIsAProtocolFault(t *testing.T) {
	c := newTestCore(t)
	_, err := c.msgStart(LaneBlocks, 1<<20, 3, t0)
	require.NoError(t, err)
	_, err = c.msgBytes(LaneBlocks, c.cfg.BulkWindow, t0)
	require.Error(t, err)
	f, ok := errors.AsType[*peerFault](err)
	require.True(t, ok, "%T", err)
	require.Equal(t, ReasonProtocol, f.reason)
}

// Two cores back to back: a large block grows the receiver's window
// (every pump is at one instant, so the peer always moves a window faster
// than BulkTuneDelay), and while it waits for delivery the sender gets no
// more than the base window of the block queued behind it; both arrive in
// order.
func TestCoreWindowGrowsWithinABlock(t *testing.T) {
	cfg := fuzzConnConfig()
	cfg.SendQueueBytes = 64 << 10
	a, b := newCoreEnd("a", cfg, t0), newCoreEnd("b", cfg, t0)
	a.send(LaneBlocks, 16<<10)
	a.send(LaneBlocks, 16<<10)
	require.Len(t, a.sent[LaneBlocks], 2)
	pump := func() {
		for range 100 {
			a.pump(t, b, 1, t0)
			b.pump(t, a, 4, t0) // credit back
			require.NoError(t, a.check())
			require.NoError(t, b.check())
		}
	}
	pump()
	cr := &b.c.credit[LaneBlocks]
	require.EqualValues(t, cfg.BulkWindowMax, cr.window)
	require.Len(t, b.inQ[LaneBlocks], 1, "the first block waits for delivery")
	require.Positive(t, a.c.sched.queued[LaneBlocks], "the second is held back")
	require.LessOrEqual(t, cr.granted, cr.msgEnd+int64(cfg.BulkWindow),
		"no more than the base window of the second block while the first waits")
	b.deliver(LaneBlocks)
	pump()
	b.deliver(LaneBlocks)
	require.Equal(t, []uint64{1, 2}, b.got[LaneBlocks])
}
