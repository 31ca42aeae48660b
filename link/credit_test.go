package link

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestCreditReleasedAsReadWhileNothingWaits(t *testing.T) {
	c := newRecvCredit(100)
	g, err := c.consumed(24)
	require.NoError(t, err)
	require.Zero(t, g, "below a quarter window nothing is granted")
	g, _ = c.consumed(1)
	require.EqualValues(t, 25, g, "a quarter window read is granted back at once")
	require.EqualValues(t, 100, c.avail())
}

func TestCreditWithheldBehindAWaitingMessage(t *testing.T) {
	c := newRecvCredit(100)
	g, _ := c.consumed(10)
	require.Zero(t, g)
	c.queued(1)
	g, _ = c.consumed(90)
	require.Zero(t, g, "bytes read behind an undelivered message are withheld")
	require.Zero(t, c.avail(), "the peer has no credit left")
	require.EqualValues(t, 100, c.delivered(1), "delivery releases everything read")
	require.EqualValues(t, 100, c.avail())
}

func TestCreditFlagsAnOverrun(t *testing.T) {
	c := newRecvCredit(100)
	_, err := c.consumed(101)
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
		partial := 0 // bytes of the message being read
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0: // the peer sends what its credit allows; we read it
				if a := c.avail(); a > 0 {
					k := rapid.Int64Range(1, a).Draw(t, "k")
					if _, err := c.consumed(int(k)); err != nil {
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
		}
	})
}
