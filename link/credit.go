package link

import (
	"fmt"
	"time"
)

// recvCredit is the receiving side's flow-control books for one bulk lane:
// the credit we granted and what became of every byte the peer sent. It
// is pure; the session core owns one per bulk lane.
//
// Why bytes are withheld: the lane's reader must keep draining the muxer
// while the application's Receive is busy. If it stopped, up to one window
// of bytes would sit unread in the muxer, and a window larger than the
// muxer's own stream window (yamux starts at 256 KiB, QUIC at 512 KiB per
// stream and 768 KiB per connection) would block the peer's writer inside
// the muxer — and with it the peer's consensus lane. Instead the reader
// always reads, and credit is returned when bytes are released to the
// application:
//
//   - bytes read while nothing is waiting for delivery are released at
//     once (a large message streams through a small window);
//   - bytes read while a completed message waits for, or is in, Receive are
//     withheld, and released when the queue has drained.
//
// So a stalled Receive stops the sender after at most one base window
// beyond the message it is stuck on, with the muxer drained: the peer's
// writer never waits for us, whatever the window.
//
// # The tuned window (issue 14, session 10)
//
// A window of base bytes carries at most base per credit round trip; on a
// loopback TCP link that round trip is ~1 ms of hand-offs between
// goroutines on a loaded CPU, so 128 KiB capped the lane at a quarter of a
// raw stream's rate (docs/benchmarks.md). A link with a bulk connection of
// its own may therefore grow its window, quic-go style, up to max: after
// every half window received, if the peer moved a window in less than
// delay (the peer is credit-bound on a path that drains a window faster
// than delay), the window doubles. On a shaped link (100 Mbit/s: a 128 KiB
// window takes ~10 ms) it does not grow, so the block bytes queued in a
// bottleneck that votes share stay at base; on loopback it grows until a
// window takes delay to drain. The window never shrinks.
//
// The credit beyond base is granted only for the message being read: it
// never reaches past that message's end (its header tells its size). So
// when a body ends the peer holds at most base credit for the next one —
// the whole bodies a sender can commit to the wire ahead of the receiver's
// Prune are no more than with the base window (copies per node, issue 19);
// only the bytes of the one body in flight gain. While a completed message
// waits for delivery nothing beyond base is granted either.
//
// Invariants (check): 0 ≤ recvd ≤ granted; withheld ≤ recvd; granted -
// released ≤ window ≤ max (the memory bound: the bytes a peer may send us
// beyond what the application took); granted ≤ max(released, msgEnd) +
// base (beyond the current message's end, at most base).
type recvCredit struct {
	base   int64 // the configured window
	window int64 // the tuned window; Invariant: base ≤ window ≤ max
	max    int64 // base when tuning is off

	granted  int64 // total credit granted to the peer
	recvd    int64 // total frame bytes received
	withheld int64 // read while a message waited for delivery
	// msgEnd is the stream offset (in received bytes) where the message
	// being read ends; at most recvd between messages.
	msgEnd int64
	// undelivered counts complete messages waiting for, or in, Receive;
	// undeliveredBytes their payload bytes.
	undelivered      int
	undeliveredBytes int64

	// The tuning epoch: when it started and recvd then (zero time: none yet).
	epochAt    time.Time
	epochRecvd int64
}

// newRecvCredit starts the books with window bytes granted; the window may
// grow to maxWindow (≤ window: no tuning).
func newRecvCredit(window, maxWindow int) recvCredit {
	w := int64(window)
	return recvCredit{base: w, window: w, max: max(w, int64(maxWindow)), granted: w}
}

// avail is how many more bytes the peer may send before new credit.
func (c *recvCredit) avail() int64 { return c.granted - c.recvd }

// released is how many received bytes were released to the application.
func (c *recvCredit) released() int64 { return c.recvd - c.withheld }

// started records the header of a message of n payload bytes, already
// accounted by consumed: the window beyond base may now cover its bytes.
// It returns the credit to grant.
func (c *recvCredit) started(n int) int64 {
	c.msgEnd = c.recvd + int64(n)
	return c.grant()
}

// consumed accounts k bytes read from the stream at now (delay is the
// tuning target, see the type's doc). It returns the credit to grant now
// (0 for none), or an error if the peer overran its credit.
func (c *recvCredit) consumed(k int, now time.Time, delay time.Duration) (grant int64, err error) {
	c.recvd += int64(k)
	if c.recvd > c.granted {
		return 0, fmt.Errorf("%d bytes received, %d granted", c.recvd, c.granted)
	}
	if c.undelivered > 0 {
		c.withheld += int64(k)
		return 0, nil
	}
	c.tune(now, delay)
	return c.grant(), nil
}

// tune doubles the window when the peer moved the last half window or
// more faster than a window per delay.
func (c *recvCredit) tune(now time.Time, delay time.Duration) {
	if c.window >= c.max {
		return
	}
	if c.epochAt.IsZero() {
		c.epochAt, c.epochRecvd = now, c.recvd
		return
	}
	n := c.recvd - c.epochRecvd
	if n < c.window/2 {
		return
	}
	// elapsed/n < delay/window, in integers: elapsed ≤ hours in ns (< 2^53),
	// window ≤ MaxBulkWindow (2^25); n ≤ max + a read piece, delay ≤ seconds.
	if elapsed := now.Sub(c.epochAt); elapsed >= 0 && int64(elapsed)*c.window < n*int64(delay) {
		c.window = min(2*c.window, c.max)
	}
	c.epochAt, c.epochRecvd = now, c.recvd
}

// queued records a complete message of n bytes handed to delivery.
func (c *recvCredit) queued(n int) {
	c.undelivered++
	c.undeliveredBytes += int64(n)
}

// delivered records that the oldest undelivered message (n bytes) left
// Receive; once nothing else waits, the withheld bytes are released. It
// returns the credit to grant.
func (c *recvCredit) delivered(n int) int64 {
	c.undelivered--
	c.undeliveredBytes -= int64(n)
	if c.undelivered > 0 {
		return 0
	}
	c.withheld = 0
	return c.grant()
}

// limit is the most credit the peer may hold now: base beyond what was
// released, and, while nothing waits for delivery, up to the tuned window
// within the message being read.
func (c *recvCredit) limit() int64 {
	r := c.released()
	lim := r + c.base
	if c.undelivered == 0 && c.window > c.base {
		lim = max(lim, min(c.msgEnd, r+c.window))
	}
	return lim
}

// grant returns the credit to grant once a quarter of the current window
// is owed to the peer, and records it as granted.
func (c *recvCredit) grant() int64 {
	lim := c.limit()
	g := lim - c.granted
	if g <= 0 || g < (lim-c.released())/4 {
		return 0
	}
	c.granted = lim
	return g
}

// check reports a broken invariant (the fuzz target and the invariants
// build call it).
func (c *recvCredit) check() error {
	r := c.released()
	switch {
	case c.recvd > c.granted || c.withheld < 0 || c.withheld > c.recvd || c.undelivered < 0 || c.undeliveredBytes < 0:
		return fmt.Errorf("credit books: recvd %d granted %d withheld %d undelivered %d (%d bytes)", c.recvd, c.granted, c.withheld, c.undelivered, c.undeliveredBytes)
	case c.window < c.base || c.window > c.max:
		return fmt.Errorf("credit books: window %d outside base %d .. max %d", c.window, c.base, c.max)
	case c.granted-r > c.window:
		return fmt.Errorf("credit books: granted %d, released %d: more than the window %d", c.granted, r, c.window)
	case c.granted > max(r, c.msgEnd)+c.base:
		return fmt.Errorf("credit books: granted %d beyond the message end %d (released %d) + base %d", c.granted, c.msgEnd, r, c.base)
	case c.withheld > 0 && c.undelivered == 0:
		return fmt.Errorf("credit books: %d bytes withheld with nothing undelivered", c.withheld)
	}
	return nil
}
