package link

import "sync"

// maxInboxMsgs bounds the messages queued for delivery on one bulk lane.
// Credit already bounds their bytes to one window; this bounds the per-
// message bookkeeping when a peer sends many tiny messages. Past it the
// reader waits for the application like on the other lanes, and the
// muxer's own window holds the peer back.
const maxInboxMsgs = 4096

// inbox is the delivery queue of one bulk lane: messages read but not
// yet handed to the application. The lane's reader pushes, the lane's
// delivery goroutine pops; the credit they earn back is the session
// core's business (credit.go says why the reader never stops reading).
// The reader and the delivery goroutine share the inbox under its mutex.
type inbox struct {
	mu       sync.Mutex
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

func newInbox() *inbox {
	return &inbox{
		ready: make(chan struct{}, 1),
		space: make(chan struct{}, 1),
	}
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

// delivered marks the message from next as handed over.
func (b *inbox) delivered() {
	b.mu.Lock()
	b.inflight = false
	b.mu.Unlock()
}
