package link

import "fmt"

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
// So a stalled Receive stops the sender after at most one window beyond
// the message it is stuck on, with the muxer drained: the peer's writer
// never waits for us, whatever the window.
//
// Invariant: granted - recvd + pending + withheld = window (every byte of
// the window is the peer's to send, read and not yet granted back, or
// withheld behind a delivery); and 0 ≤ recvd ≤ granted.
type recvCredit struct {
	window   int64
	granted  int64 // total credit granted to the peer
	recvd    int64 // total frame bytes received
	pending  int64 // released but not yet granted back
	withheld int64 // read while a message waited for delivery
	// undelivered counts complete messages waiting for, or in, Receive;
	// undeliveredBytes their payload bytes.
	undelivered      int
	undeliveredBytes int64
}

func newRecvCredit(window int) recvCredit {
	return recvCredit{window: int64(window), granted: int64(window)}
}

// avail is how many more bytes the peer may send before new credit.
func (c *recvCredit) avail() int64 { return c.granted - c.recvd }

// consumed accounts k bytes read from the stream. It returns the credit to
// grant now (0 for none), or an error if the peer overran its credit.
func (c *recvCredit) consumed(k int) (grant int64, err error) {
	c.recvd += int64(k)
	if c.recvd > c.granted {
		return 0, fmt.Errorf("%d bytes received, %d granted", c.recvd, c.granted)
	}
	if c.undelivered > 0 {
		c.withheld += int64(k)
		return 0, nil
	}
	c.pending += int64(k)
	return c.grant(), nil
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
	c.pending += c.withheld
	c.withheld = 0
	return c.grant()
}

// grant returns the credit to grant once a quarter window was released,
// and records it as granted.
func (c *recvCredit) grant() int64 {
	if c.pending < c.window/4 {
		return 0
	}
	g := c.pending
	c.pending = 0
	c.granted += g
	return g
}

// check reports a broken invariant (the fuzz target and the invariants
// build call it).
func (c *recvCredit) check() error {
	if sum := c.granted - c.recvd + c.pending + c.withheld; sum != c.window {
		return fmt.Errorf("credit books: granted-recvd+pending+withheld = %d, window %d", sum, c.window)
	}
	if c.recvd > c.granted || c.undelivered < 0 || c.undeliveredBytes < 0 {
		return fmt.Errorf("credit books: recvd %d granted %d undelivered %d (%d bytes)", c.recvd, c.granted, c.undelivered, c.undeliveredBytes)
	}
	return nil
}
