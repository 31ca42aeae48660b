package link

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestInboxReleasesCreditAsReadWhileNothingWaits(t *testing.T) {
	b := newInbox(100)
	g, err := b.consumed(24)
	require.NoError(t, err)
	require.Zero(t, g, "below a quarter window nothing is granted")
	g, _ = b.consumed(1)
	require.EqualValues(t, 25, g, "a quarter window read is granted back at once")
	require.EqualValues(t, 100, b.avail())
}

func TestInboxWithholdsCreditBehindAWaitingMessage(t *testing.T) {
	b := newInbox(100)
	g, _ := b.consumed(10)
	require.Zero(t, g)
	b.push(delivery{msg: []byte("m"), release: func() {}}, nil)
	g, _ = b.consumed(90)
	require.Zero(t, g, "bytes read behind an undelivered message are withheld")
	require.Zero(t, b.avail(), "the peer has no credit left")
	_, ok := b.next()
	require.True(t, ok)
	require.EqualValues(t, 100, b.delivered(), "delivery releases everything read")
	require.EqualValues(t, 100, b.avail())
}

func TestInboxFlagsAnOverrun(t *testing.T) {
	b := newInbox(100)
	_, err := b.consumed(101)
	require.ErrorContains(t, err, "101 bytes received, 100 granted")
}

func TestInboxDeliversInOrderThenEndsWhenClosed(t *testing.T) {
	b := newInbox(100)
	for _, m := range []string{"a", "b", "c"} {
		b.push(delivery{msg: []byte(m), release: func() {}}, nil)
	}
	b.close()
	var got []string
	for {
		d, ok := b.next()
		if !ok {
			break
		}
		got = append(got, string(d.msg))
		b.delivered()
	}
	require.Equal(t, []string{"a", "b", "c"}, got)
}

// The credit books always balance (every byte of the window is either
// still the peer's, read and waiting to be granted, or withheld), and the
// link can never deadlock on credit: whenever the peer is out of credit,
// a message is waiting for delivery whose hand-over releases some.
func TestInboxCreditBooksBalanceAndNeverDeadlock(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		window := rapid.IntRange(8, 1<<20).Draw(t, "window")
		b := newInbox(window)
		partial := 0 // bytes of the message being read
		delivering := false
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0: // the peer sends what its credit allows; we read it
				if a := b.avail(); a > 0 {
					k := rapid.Int64Range(1, a).Draw(t, "k")
					if _, err := b.consumed(int(k)); err != nil {
						t.Fatalf("reading %d of %d available: %v", k, a, err)
					}
					partial += int(k)
				}
			case 1: // the message being read completes
				if partial > 0 {
					b.push(delivery{msg: make([]byte, 0), release: func() {}}, nil)
					partial = 0
				}
			case 2: // the application takes the next message
				if delivering {
					b.delivered()
					delivering = false
				} else if b.queued() > 0 {
					b.next()
					delivering = true
				}
			}
			b.mu.Lock()
			sum := b.granted - b.recvd + b.pending + b.withheld
			outstanding, busy := b.granted-b.recvd, b.busyLocked()
			b.mu.Unlock()
			if sum != int64(window) {
				t.Fatalf("credit books: granted-recvd+pending+withheld = %d, window %d", sum, window)
			}
			if outstanding == 0 && !busy {
				t.Fatalf("deadlock: the peer has no credit and no delivery will release any")
			}
		}
	})
}
