package link

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestCreditReleasedAsReadWhileNothingWaits(t *testing.T) {
	c := newRecvCredit(100)
	g, err := c.consumed(24, t0)
	require.NoError(t, err)
	require.Zero(t, g, "below a quarter window nothing is granted")
	g, _ = c.consumed(1, t0)
	require.EqualValues(t, 25, g, "a quarter window read is granted back at once")
	require.EqualValues(t, 100, c.avail())
}

func TestCreditWithheldBehindAWaitingMessage(t *testing.T) {
	c := newRecvCredit(100)
	g, _ := c.consumed(10, t0)
	require.Zero(t, g)
	c.queued(1)
	g, _ = c.consumed(90, t0)
	require.Zero(t, g, "bytes read behind an undelivered message are withheld")
	require.Zero(t, c.avail(), "the peer has no credit left")
	require.EqualValues(t, 100, c.delivered(1), "delivery releases everything read")
	require.EqualValues(t, 100, c.avail())
}

func TestCreditFlagsAnOverrun(t *testing.T) {
	c := newRecvCredit(100)
	_, err := c.consumed(101, t0)
	require.ErrorContains(t, err, "101 bytes received, 100 granted")
}

// The credit books always balance (every byte of the window is either
// still the peer's, read and waiting to be granted, or withheld), and the
// link can never deadlock on credit: whenever the peer is out of credit,
// a message is waiting for delivery whose hand-over releases some.
func TestCreditBooksBalanceAndNeverDeadlock(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		window := rapid.IntRange(8, 1<<20).Draw(t, "window")
		c := newRecvCredit(window)
		ceil := int64(window) * rapid.Int64Range(1, 64).Draw(t, "ceil")
		if rapid.Bool().Draw(t, "sized") {
			c.auto = windowSizer{budget: time.Millisecond, floor: int64(window), ceil: ceil}
		}
		now := t0
		partial := 0 // bytes of the message being read
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.Int64Range(0, 3e6).Draw(t, "dt")))
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0: // the peer sends what its credit allows; we read it
				if a := c.avail(); a > 0 {
					k := rapid.Int64Range(1, a).Draw(t, "k")
					if _, err := c.consumed(int(k), now); err != nil {
						t.Fatalf("reading %d of %d available: %v", k, a, err)
					}
					partial += int(k)
				}
			case 1: // the message being read completes
				if partial > 0 {
					c.queued(partial)
					partial = 0
				}
			case 2: // the application takes the oldest message
				if c.undelivered > 0 {
					c.delivered(int(c.undeliveredBytes) / c.undelivered)
				}
			}
			if err := c.check(); err != nil {
				t.Fatal(err)
			}
			if c.avail() == 0 && c.undelivered == 0 {
				t.Fatalf("deadlock: the peer has no credit and no delivery will release any")
			}
			if c.window < int64(window) || (c.auto.budget > 0 && c.window > ceil) || (c.auto.budget == 0 && c.window != int64(window)) {
				t.Fatalf("window %d outside [%d, %d]", c.window, window, ceil)
			}
		}
	})
}

// The sizer sets the window to what the lane reads within the budget:
// it grows while a window is read faster than the budget (at most
// doubling per window read) up to the ceiling, and shrinks back, never
// below the floor, once reading a window takes longer.
func TestWindowSizedToRateTimesBudget(t *testing.T) {
	const w = 100 << 10
	c := newRecvCredit(w)
	c.auto = windowSizer{budget: time.Millisecond, floor: w, ceil: 1 << 20}
	now := t0
	read := func(bytes int, rate float64) {
		for ; bytes > 0; bytes -= 16 << 10 {
			k := min(int64(bytes), 16<<10, c.avail())
			now = now.Add(time.Duration(float64(k) / rate * 1e9))
			_, err := c.consumed(int(k), now)
			require.NoError(t, err)
			require.NoError(t, c.check())
		}
	}
	read(1<<20, 2e9) // 2 GB/s: 2 MB per budget, more than the ceiling
	require.Greater(t, c.window, int64(w))
	read(16<<20, 2e9)
	require.EqualValues(t, 1<<20, c.window)
	read(16<<20, 200e6) // 200 MB/s: 200 KB per budget
	require.InDelta(t, 200e3, float64(c.window), 20e3)
	read(4<<20, 10e6) // 10 MB/s: 10 KB per budget, below the floor
	require.EqualValues(t, w, c.window)
}
