package blocksync

import (
	"time"
)

// This file shares one node's uplink among its Conns (issue 19). A node
// that pushes one large body to k tree children at once sends k streams
// through one egress: each child receives the body only after about k
// serialization times, and none can start relaying it earlier. Pushing them
// one after another gives the first child the body after one serialization
// time, so its subtree starts while the others still wait: the same bytes,
// better pipelined down the tree.

// BigBody is the size from which a body takes an uplink slot and the
// receiver acknowledges it as soon as it arrives (the slot's release).
// Smaller bodies bypass the uplink: their serialization is short.
const BigBody = 256 << 10

// Uplink is shared by the Conns of one node (pass it to each with
// SetUplink). At most Max big bodies are in flight at once across them; a
// slot is released when the peer acknowledges the body (the receiver acks
// every big body on arrival), or after Hold if it does not, so a slow or
// silent peer delays the others by at most Hold per body. Conns that wait
// for a slot are woken in the order they asked: after each input, the
// driver takes Woken and calls Wake on each.
//
// Like a Conn, it is not safe for concurrent use: the driver that
// serialises its Conns serialises it too.
type Uplink struct {
	// Max is how many big bodies may be in flight at once (>= 1).
	Max int
	// Hold is how long a body keeps its slot without an ack.
	Hold time.Duration

	busy int
	// waiting are the Conns that asked for a slot and did not get it,
	// oldest first. Invariant: no Conn twice.
	waiting []*Conn
	woken   []*Conn
}

// NewUplink returns an Uplink with max slots held at most hold each.
func NewUplink(maxBodies int, hold time.Duration) *Uplink {
	return &Uplink{Max: max(1, maxBodies), Hold: hold}
}

// take gives c a slot if one is free and no older Conn waits for one.
func (u *Uplink) take(c *Conn) bool {
	if u.busy < u.Max && (len(u.waiting) == 0 || u.waiting[0] == c) {
		if len(u.waiting) > 0 {
			u.waiting = u.waiting[1:]
		}
		u.busy++
		return true
	}
	for _, w := range u.waiting {
		if w == c {
			return false
		}
	}
	u.waiting = append(u.waiting, c)
	return false
}

// release frees a slot and wakes the oldest waiter.
func (u *Uplink) release() {
	u.busy--
	if len(u.waiting) > 0 && u.busy < u.Max {
		u.woken = append(u.woken, u.waiting[0])
	}
}

// forget drops a closed Conn from the queue.
func (u *Uplink) forget(c *Conn) {
	for i, w := range u.waiting {
		if w == c {
			u.waiting = append(u.waiting[:i], u.waiting[i+1:]...)
			if i == 0 && len(u.waiting) > 0 && u.busy < u.Max {
				u.woken = append(u.woken, u.waiting[0])
			}
			return
		}
	}
}

// Woken returns the Conns the driver must Wake (a slot freed for them) and
// clears the list.
func (u *Uplink) Woken() []*Conn {
	w := u.woken
	u.woken = nil
	return w
}

// slot is a Conn's hold on the uplink.
type slot struct {
	// held is set while this Conn holds a slot for a body whose last byte
	// is at offset end of the bytes sent; due is when it lapses unacked.
	held bool
	end  uint64
	due  time.Time
}

// SetUplink makes the Conn share u with the node's other Conns.
func (c *Conn) SetUplink(u *Uplink) { c.up = u }

// Wake tells a Conn that the uplink has a slot for it.
func (c *Conn) Wake(now time.Time) error { return c.input(now, func() {}) }

// mayStart reports whether a body of size may start now, taking a slot for
// a big one. A Conn holds one slot at a time: its next big body waits
// until the last one is acknowledged (or lapsed), then queues behind the
// Conns already waiting.
func (c *Conn) mayStart(size uint64) bool {
	if c.up == nil || size < BigBody {
		return true
	}
	c.asked = true
	if c.slot.held {
		return false
	}
	return c.up.take(c)
}

// started records the body that took the slot (mayStart returned true).
func (c *Conn) started(size uint64) {
	if c.up == nil || size < BigBody {
		return
	}
	c.slot = slot{held: true, end: c.win.sentBytes, due: c.now.Add(c.up.Hold)}
}

// freeSlot releases the slot once the peer acknowledged the body, when it
// lapsed, or when the Conn closes.
func (c *Conn) freeSlot() {
	if !c.slot.held {
		return
	}
	if c.state != StateClosed && c.win.ackedBytes < c.slot.end && c.now.Before(c.slot.due) {
		return
	}
	c.slot = slot{}
	c.up.release()
}
