package link

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestCreditReleasedAsReadWhileNothingWaits(t *testing.T) {
	c := newRecvCredit(100, 0)
	g, err := c.consumed(24, t0, time.Millisecond)
	require.NoError(t, err)
	require.Zero(t, g, "below a quarter window nothing is granted")
	g, _ = c.consumed(1, t0, time.Millisecond)
	require.EqualValues(t, 25, g, "a quarter window read is granted back at once")
	require.EqualValues(t, 100, c.avail())
}

func TestCreditWithheldBehindAWaitingMessage(t *testing.T) {
	c := newRecvCredit(100, 0)
	g, _ := c.consumed(10, t0, time.Millisecond)
	require.Zero(t, g)
	c.queued(1)
	g, _ = c.consumed(90, t0, time.Millisecond)
	require.Zero(t, g, "bytes read behind an undelivered message are withheld")
	require.Zero(t, c.avail(), "the peer has no credit left")
	require.EqualValues(t, 100, c.delivered(1), "delivery releases everything read")
	require.EqualValues(t, 100, c.avail())
}

func TestCreditFlagsAnOverrun(t *testing.T) {
	c := newRecvCredit(100, 0)
	_, err := c.consumed(101, t0, time.Millisecond)
	require.ErrorContains(t, err, "101 bytes received, 100 granted")
}

// The credit books always balance (check: no overrun, the window within
// base .. max, never more than the window granted beyond what was
// released and never more than base beyond the current message's end),
// and the link can never deadlock on credit: whenever the peer is out of
// credit, a message is waiting for delivery whose hand-over releases some.
func TestCreditBooksBalanceAndNeverDeadlock(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		window := rapid.IntRange(8, 1<<20).Draw(t, "window")
		maxWindow := rapid.SampledFrom([]int{0, window, 2 * window, 16 * window}).Draw(t, "max")
		c := newRecvCredit(window, maxWindow)
		now := t0
		delay := time.Duration(rapid.IntRange(1, 1000).Draw(t, "delay_us")) * time.Microsecond
		msgLeft := 0 // bytes of the message being read still to come
		partial := 0 // bytes of the message being read
		for range rapid.IntRange(1, 300).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 200).Draw(t, "dt_us")) * time.Microsecond)
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0: // the peer sends what its credit allows of the message; we read it
				if a := min(c.avail(), int64(msgLeft)); a > 0 {
					k := rapid.Int64Range(1, a).Draw(t, "k")
					if _, err := c.consumed(int(k), now, delay); err != nil {
						t.Fatalf("reading %d of %d available: %v", k, a, err)
					}
					partial += int(k)
					msgLeft -= int(k)
				}
			case 1: // the message being read completes; the next one's header
				if msgLeft == 0 && c.avail() > 0 {
					if partial > 0 {
						c.queued(partial)
						partial = 0
					}
					if _, err := c.consumed(1, now, delay); err != nil {
						t.Fatal(err)
					}
					msgLeft = rapid.IntRange(0, 4*window).Draw(t, "msg")
					c.started(msgLeft)
				}
			case 2: // the application takes the oldest message
				if c.undelivered > 0 {
					c.delivered(int(c.undeliveredBytes) / c.undelivered)
				}
			case 3: // a message ends early (its size was small)
				if msgLeft == 0 && partial > 0 {
					c.queued(partial)
					partial = 0
				}
			}
			if err := c.check(); err != nil {
				t.Fatal(err)
			}
			if c.avail() == 0 && c.undelivered == 0 {
				t.Fatalf("deadlock: the peer has no credit and no delivery will release any")
			}
		}
	})
}

func TestCreditWindowGrowsWithinAMessageOnly(t *testing.T) {
	const base, delay = 100, time.Millisecond
	c := newRecvCredit(base, 8*base)
	_, err := c.consumed(2, t0, delay) // a header
	require.NoError(t, err)
	require.Zero(t, c.started(10_000), "2 bytes owed: below a quarter window")
	// The peer moves half a window in 10 µs: far faster than a window per
	// millisecond, so the window doubles at once, and the credit beyond
	// base covers the message.
	_, err = c.consumed(20, t0.Add(time.Microsecond), delay)
	require.NoError(t, err)
	g, err := c.consumed(48, t0.Add(10*time.Microsecond), delay)
	require.NoError(t, err)
	require.EqualValues(t, 2*base, c.window)
	require.EqualValues(t, 70+2*base, c.granted, "released + the doubled window")
	require.EqualValues(t, 70+2*base-base, g)
	for now := t0.Add(20 * time.Microsecond); c.window < c.max; now = now.Add(10 * time.Microsecond) {
		_, err = c.consumed(int(c.avail()), now, delay)
		require.NoError(t, err)
	}
	require.EqualValues(t, 8*base, c.window, "capped at max")
	// Near the message's end the credit stops at base beyond it.
	msgEnd := c.msgEnd
	for c.recvd < msgEnd {
		_, err = c.consumed(int(min(c.avail(), msgEnd-c.recvd)), t0.Add(time.Second), delay)
		require.NoError(t, err)
		require.NoError(t, c.check())
	}
	require.LessOrEqual(t, c.granted, msgEnd+base, "no more than base of the next message")
	require.NoError(t, c.check())
}

func TestCreditWindowStaysOnASlowPath(t *testing.T) {
	const base, delay = 100, time.Millisecond
	c := newRecvCredit(base, 8*base)
	_, _ = c.consumed(2, t0, delay)
	c.started(100_000)
	// A window per 5 ms (a shaped link): slower than a window per delay.
	now := t0
	for range 100 {
		now = now.Add(time.Millisecond)
		_, err := c.consumed(base/5, now, delay)
		require.NoError(t, err)
	}
	require.EqualValues(t, base, c.window)
}

func TestCreditNothingBeyondBaseWhileAMessageWaits(t *testing.T) {
	const base, delay = 100, time.Millisecond
	c := newRecvCredit(base, 8*base)
	c.window = 8 * base // tuned up earlier
	_, _ = c.consumed(2, t0, delay)
	c.started(50)
	_, _ = c.consumed(50, t0, delay)
	c.queued(50) // the body waits for delivery
	_, _ = c.consumed(2, t0, delay)
	require.Zero(t, c.started(10_000), "the next body gets no credit while one waits")
	require.LessOrEqual(t, c.granted, int64(52+base))
	require.NoError(t, c.check())
}
