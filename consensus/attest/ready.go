package attest

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Outbound is a message for one node (unicast on the consensus class of
// the routed transport).
type Outbound struct {
	To  block.PublicKey
	Msg Message
}

// Record is a block state to write. PrevDue is the due time of the state
// last handed out for this block (zero if none or stalled): the driver
// deletes that schedule entry and writes State.Due's.
type Record struct {
	State   State
	PrevDue time.Time
}

// Finalization is a finalized block: write its proof, delete its state and
// its schedule entry at PrevDue.
type Finalization struct {
	Proof   Proof
	PrevDue time.Time
}

// Stall is a block that stopped being scheduled, with the reason an
// operator sees (also in its State.Stalled).
type Stall struct {
	Block  block.ID
	Level  uint8
	Reason string
}

// Ready is a batch of outputs. The driver performs it in this order, then
// calls Advance:
//
//  1. Persist and Finalized: write every Record (state and schedule entry)
//     and every Finalization (proof written, state and schedule entry
//     deleted) in one batch, synced. Nothing below may happen before it is
//     durable: a request sent before its Ask is recorded could be asked
//     again after a crash without cause, and an acknowledgement sent before
//     its verification is recorded would lose the verification (the
//     verifier stops re-sending once acknowledged).
//  2. Messages: send each to its node. Loss is tolerated: requests are
//     replaced at their deadline, receipts re-sent until acknowledged.
//  3. Stalled and Finalized: report them (logs, metrics, events).
//  4. Deadline: call Tick at or after it (zero: no timer needed).
type Ready struct {
	Persist   []Record
	Finalized []Finalization
	Messages  []Outbound
	Stalled   []Stall
	Deadline  time.Time
}

// HasReady reports whether Ready has outputs or a new deadline.
func (s *Scheduler) HasReady() bool {
	return len(s.dirty) > 0 || len(s.rd.Finalized) > 0 || len(s.rd.Messages) > 0 ||
		len(s.rd.Stalled) > 0 || !s.deadline().Equal(s.lastDeadline)
}

// Ready returns the pending outputs. The slices belong to the caller.
func (s *Scheduler) Ready() Ready {
	rd := s.rd
	for _, id := range s.dirty {
		if e := s.blocks[id]; e != nil {
			rd.Persist = append(rd.Persist, Record{State: e.st.clone(), PrevDue: e.persistedDue})
		}
	}
	rd.Deadline = s.deadline()
	return rd
}

// Advance acknowledges the last Ready: its outputs were performed.
func (s *Scheduler) Advance() {
	for _, id := range s.dirty {
		if e := s.blocks[id]; e != nil {
			e.persistedDue = e.st.Due
			e.dirty = false
		}
	}
	s.dirty = s.dirty[:0]
	s.lastDeadline = s.deadline()
	s.rd = Ready{}
}

func (st *State) clone() State {
	c := *st
	c.Asked = append([]Ask(nil), st.Asked...)
	c.Got = append([]Verification(nil), st.Got...)
	c.Done = append([]DoneLevel(nil), st.Done...)
	return c
}
