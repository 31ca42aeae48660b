package link

import (
	"fmt"
	"sync"
)

// maxInboxMsgs bounds the messages queued for delivery on one bulk lane.
// Credit already bounds their bytes to one window; this bounds the per-
// message bookkeeping when a peer sends many tiny messages. Past it the
// reader waits for the application like on the other lanes, and the
// muxer's own window holds the peer back.
const maxInboxMsgs = 4096

// inbox is the receiving side of one bulk lane: the credit we granted and
// the messages read but not yet delivered.
//
// Why a queue: the lane's reader must keep draining the muxer while the
// application's Receive is busy. If it stopped, up to one window of bytes
// would sit unread in the muxer, and a window larger than the muxer's own
// stream window (yamux starts at 256 KiB, QUIC at 512 KiB per stream and
// 768 KiB per connection) would block the peer's writer inside the muxer —
// and with it the peer's consensus lane. Instead the reader always reads,
// and credit is returned when bytes are released to the application:
//
//   - bytes read while nothing is waiting for delivery are released at
//     once (a large message streams through a small window);
//   - bytes read while a completed message waits for, or is in, Receive are
//     withheld, and released when the queue has drained.
//
// So a stalled Receive stops the sender after at most one window beyond
// the message it is stuck on, with the muxer drained: the peer's writer
// never waits for us, whatever the window. The reader and the delivery
// goroutine share the inbox under its mutex.
type inbox struct {
	mu       sync.Mutex
	window   int64
	granted  int64 // total credit granted to the peer
	recvd    int64 // total frame bytes received
	pending  int64 // released but not yet granted back
	withheld int64 // read while a message waited for delivery
	q        []delivery
	inflight bool          // a message is in Receive
	closed   bool          // the reader ended; deliver what is queued, then stop
	ready    chan struct{} // cap 1: the delivery goroutine has work
	space    chan struct{} // cap 1: the queue dropped below maxInboxMsgs
}

// delivery is a message waiting for the application.
type delivery struct {
	msg     []byte
	release func() // frees its resource-manager reservation
}

func newInbox(window int) *inbox {
	return &inbox{
		window:  int64(window),
		granted: int64(window),
		ready:   make(chan struct{}, 1),
		space:   make(chan struct{}, 1),
	}
}

// avail is how many more bytes the peer may send before new credit.
func (b *inbox) avail() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.granted - b.recvd
}

// consumed accounts k bytes read from the stream. It returns the credit to
// grant now (0 for none), or an error if the peer overran its credit.
func (b *inbox) consumed(k int) (grant int64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recvd += int64(k)
	if b.recvd > b.granted {
		return 0, fmt.Errorf("%d bytes received, %d granted", b.recvd, b.granted)
	}
	if b.busyLocked() {
		b.withheld += int64(k)
		return 0, nil
	}
	b.pending += int64(k)
	return b.grantLocked(), nil
}

func (b *inbox) busyLocked() bool { return b.inflight || len(b.q) > 0 }

// grantLocked returns the credit to grant once a quarter window was
// released, and records it as granted.
func (b *inbox) grantLocked() int64 {
	if b.pending < b.window/4 {
		return 0
	}
	g := b.pending
	b.pending = 0
	b.granted += g
	return g
}

// push queues a complete message for delivery; it waits while the queue
// holds maxInboxMsgs messages (or until stop is closed).
func (b *inbox) push(d delivery, stop <-chan struct{}) {
	for {
		b.mu.Lock()
		if len(b.q) < maxInboxMsgs {
			b.q = append(b.q, d)
			b.mu.Unlock()
			signal(b.ready)
			return
		}
		b.mu.Unlock()
		select {
		case <-b.space:
		case <-stop:
			d.release()
			return
		}
	}
}

// queued counts the messages waiting for or in Receive.
func (b *inbox) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.q)
	if b.inflight {
		n++
	}
	return n
}

// close tells the delivery goroutine that no more messages come.
func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	signal(b.ready)
}

// next waits for the next message to deliver; ok is false once the inbox
// is closed and empty.
func (b *inbox) next() (d delivery, ok bool) {
	for {
		b.mu.Lock()
		if len(b.q) > 0 {
			d = b.q[0]
			b.q[0] = delivery{}
			b.q = b.q[1:]
			if len(b.q) == 0 {
				b.q = nil // let the backing array go
			}
			b.inflight = true
			b.mu.Unlock()
			signal(b.space)
			return d, true
		}
		closed := b.closed
		b.mu.Unlock()
		if closed {
			return delivery{}, false
		}
		<-b.ready
	}
}

// delivered marks the message from next as handed over; once nothing else
// waits, the withheld bytes are released. It returns the credit to grant.
func (b *inbox) delivered() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight = false
	if len(b.q) > 0 {
		return 0
	}
	b.pending += b.withheld
	b.withheld = 0
	return b.grantLocked()
}
