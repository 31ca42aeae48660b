package rbc

import "time"

// Outbound is one message for the participants To (indexes, never our
// own): the driver sends it to each, or as one multicast to all of them
// (consensus class: these are must-deliver control messages).
type Outbound struct {
	To  []int
	Msg Message
}

// Ready is a batch of outputs. The driver performs it in this order, then
// calls Advance:
//
//  1. Persist: append the records to the Store and make them durable
//     (fsync). Nothing below may happen before this completes: Messages
//     carry the echoes and readies these records cover, and a signature
//     sent without its record could be contradicted after a crash.
//  2. Forget: delete the records of these collected instances (after
//     Persist, which holds the RecFloor records that keep them closed).
//  3. Messages: send each to its participants. Loss is tolerated
//     (retransmission); order does not matter.
//  4. Delivered: hand each payload and certificate to the subscribers, in
//     order. An instance is delivered once per process; after a restart
//     the first Ready hands out every delivery the records hold again,
//     with Replayed set (a crash may have come between Persist and this
//     step).
//  5. Deadline: call Tick at or after it (zero: no timer needed).
type Ready struct {
	Persist   []Record
	Forget    []Instance
	Messages  []Outbound
	Delivered []Delivery
	Deadline  time.Time
}

func (rd *Ready) empty() bool {
	return len(rd.Persist) == 0 && len(rd.Forget) == 0 && len(rd.Messages) == 0 && len(rd.Delivered) == 0
}

// HasReady reports whether Ready has outputs or a new deadline.
func (c *Core) HasReady() bool {
	return !c.rd.empty() || !c.deadline().Equal(c.lastDeadline)
}

// Ready returns the pending outputs. The slices belong to the caller;
// payloads in them must not be modified.
func (c *Core) Ready() Ready {
	rd := c.rd
	rd.Deadline = c.deadline()
	c.given = rd.Deadline
	return rd
}

// Advance acknowledges the last Ready: its outputs were performed.
func (c *Core) Advance() {
	c.lastDeadline = c.given // the deadline that Ready handed out
	c.rd = Ready{}
}
