package blocksync

import "github.com/blockwire/blockwire/chain/block"

// This file is the sending half of Ready: announcing our head and streaming
// bodies, each an immediate child of a block the peer has.

// window tracks the bytes of bodies in flight in each direction.
type window struct {
	// sentBytes and ackedBytes count our bodies to the peer.
	// Invariant: ackedBytes <= sentBytes.
	sentBytes, ackedBytes uint64
	// peerWindow is the receive window the peer advertised, clamped to
	// our own Config.Window. Invariant: peerWindow <= Config.Window.
	peerWindow uint64
	// recvBytes and recvAcked count the peer's bodies to us.
	// Invariant: recvAcked <= recvBytes.
	recvBytes, recvAcked uint64
}

// SlowStartBytes is the in-flight allowance of a connection whose peer has
// acknowledged nothing yet. The window is a promise the peer makes; memory
// we spend on it (blocks read, encoded and queued on the link) must be
// earned: every acknowledged byte raises the allowance by one byte, up to
// the peer's window, so an acking peer's allowance doubles every round trip
// (TCP's slow start) and a peer that never acknowledges holds at most this
// much of ours, or a quarter of it plus one larger body (issue 11, attack
// 4; see open). It is a protocol
// constant, not a Config field, because the receiver's ack schedule
// (ackThreshold) must know it.
const SlowStartBytes = 256 << 10

func (w *window) inFlight() uint64 { return w.sentBytes - w.ackedBytes }

// allowance is what the sender may have in flight: SlowStartBytes plus
// everything the peer acknowledged, capped by the peer's window.
func (w *window) allowance() uint64 {
	return min(w.peerWindow, SlowStartBytes+w.ackedBytes)
}

// open reports whether a body of size bytes may start: if it fits in the
// allowance, or while less than a quarter of the allowance is in flight.
// The second case lets a body larger than the allowance go (alone, or
// after a few small ones) and keeps the receiver's ack coming: it acks
// once a quarter allowance has arrived (ackThreshold), so a sender stopped
// with at least that much in flight is always reopened without a timer.
// A body that does not fit waits for acks instead of riding on the
// allowance: a peer that never acknowledges holds at most the allowance,
// or a quarter of it plus one body, never the allowance plus a big block.
func (w *window) open(size uint64) bool {
	f, a := w.inFlight(), w.allowance()
	return f+size <= a || f < a/4
}

// ackThreshold is how many unacknowledged received bytes make us
// acknowledge: a quarter of the sender's allowance, which the receiver
// computes from its own side (the windows are clamped to the smaller of
// the two on both ends, and recvAcked is at least the sender's
// ackedBytes), so the sender's allowance is never exhausted before we ack.
// Once the allowance reaches the window this is a quarter window, as
// before slow start; at the start it is SlowStartBytes/4.
func (w *window) ackThreshold() uint64 {
	return max(1, min(w.peerWindow, SlowStartBytes+w.recvAcked)/4)
}

// announce tells the peer our new head (and irreversible block) with a Have,
// unless the peer knows we have it: it sent it to us, or we just sent it.
// A peer that merely has our head still needs the Have: without it, it
// believes we lack the head and cannot push the head's children to us.
func (c *Conn) announce() {
	head, irr := c.chain.Head(), c.chain.Irreversible()
	if irr == c.announcedIrr && (head == c.announced || head == c.peerKnows) {
		c.announced = head
		return
	}
	h, ok := c.chain.Header(head)
	if !ok {
		return
	}
	c.announced, c.announcedIrr, c.peerKnows = head, irr, head
	c.told(head.Height())
	c.send(LaneSync, &Have{Irreversible: irr, Header: h})
	c.stats.HavesSent++
}

// pump sends the bodies the peer can accept, in order, while the window is
// open. It sends only blocks of our best chain, only the child of sent (so the
// parent is known to the peer), only above the peer's irreversible block
// (align moved sent to it), and only what the link's mode allows.
func (c *Conn) pump() {
	if c.state != StateReady {
		return
	}
	head := c.chain.Head().Height()
	for c.sent.Height() < head && c.win.inFlight() < c.win.allowance() {
		id, ok := c.chain.BestAt(c.sent.Height() + 1)
		if !ok || id.Height() <= c.peerIrr.Height() {
			// The peer's irreversible block is above sent but not on our
			// best chain: it could accept nothing we have. Wait for our
			// chain to switch.
			return
		}
		if id == c.waiting && !c.win.open(c.waitingSize) {
			return
		}
		b, ok := c.chain.Block(id)
		if !ok || !c.tree.mayPush(b.Producer, id.Height()) {
			return
		}
		m := NewBlock(b)
		if size := uint64(m.Size()); !c.win.open(size) {
			c.waiting, c.waitingSize = id, size
			return
		}
		c.sendBody(m, id)
	}
}

func (c *Conn) sendBody(m *Block, id block.ID) {
	c.sendComing(id, m.Size())
	c.send(LaneBlocks, m)
	c.sent, c.peerKnows = id, id
	c.told(id.Height())
	c.win.sentBytes += uint64(m.Size())
	c.stats.BlocksSent++
	c.stats.BlockBytesSent += uint64(m.Size())
	c.releaseFor(id)
}

// handleAck frees window space.
func (c *Conn) handleAck(m *Ack) {
	switch {
	case m.Bytes > c.win.sentBytes:
		c.disconnect(fault(ReasonAckOverrun, "ack of %d bytes, sent %d", m.Bytes, c.win.sentBytes))
	case m.Bytes > c.win.ackedBytes:
		c.win.ackedBytes = m.Bytes
	}
}

// ackReceived acknowledges received bodies once a quarter of the sender's
// allowance is unacknowledged (ackThreshold); cumulative, so one ack
// covers many bodies.
func (c *Conn) ackReceived() {
	if c.win.recvBytes == c.win.recvAcked || c.win.recvBytes-c.win.recvAcked < c.win.ackThreshold() {
		return
	}
	c.win.recvAcked = c.win.recvBytes
	c.send(LaneSync, &Ack{Bytes: c.win.recvBytes})
	c.stats.AcksSent++
}
