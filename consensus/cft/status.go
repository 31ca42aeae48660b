package cft

import (
	"time"

	"github.com/hashicorp/raft"

	"github.com/blockwire/blockwire/chain/block"
)

// Status is the engine's metrics and admin state.
type Status struct {
	// State is raft's role: Follower, Candidate, Leader or Shutdown.
	State string `json:"state"`
	// Term is the current raft term.
	Term uint64 `json:"term"`
	// Leader is the current leader's server id, empty when unknown.
	Leader raft.ServerID `json:"leader"`
	// Producing is set while this node is in office (leader past its Barrier).
	Producing bool `json:"producing"`
	// CommitIndex, AppliedIndex and LastIndex are raft log positions.
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	LastIndex    uint64 `json:"last_index"`
	// LastCommitted is the last block id applied from the raft log (JSON:
	// its height and full hex id).
	LastCommitted       block.ID `json:"-"`
	LastCommittedHeight uint64   `json:"last_committed_height"`
	LastCommittedHex    string   `json:"last_committed"`
	// Failovers counts changes from one known leader to another seen here.
	Failovers uint64 `json:"failovers"`
	// Produced counts block entries this node committed as leader; Lost
	// those whose Apply failed (outcome unknown); Rejected the entries the
	// FSM ignored for a stale parent or refused as unauthorised (on every
	// node alike).
	Produced uint64 `json:"produced"`
	Lost     uint64 `json:"lost"`
	Rejected uint64 `json:"rejected"`
	// Refused counts raft connections and requests refused because the
	// sender is not a producer or named another sender (RefusedError).
	Refused uint64 `json:"refused"`
	// MsgDrops counts inbound raft messages the message transport dropped
	// without charging anyone (Deps.Messenger only; nil on streams).
	MsgDrops *MsgDrops `json:"msg_drops,omitempty"`
	// PendingChanges counts producer-set changes committed but not yet in
	// the raft configuration.
	PendingChanges int `json:"pending_changes"`
	// LastContact is the time since this follower last heard from the
	// leader (zero on the leader).
	LastContact time.Duration `json:"last_contact_ns"`
}

// Status returns a snapshot of the engine's state; safe to call any time.
func (e *Engine) Status() Status {
	_, leader := e.raft.LeaderWithID()
	st := e.fsm.state()
	s := Status{
		State: e.raft.State().String(), Term: e.raft.CurrentTerm(), Leader: leader,
		Producing: e.leading.Load(), CommitIndex: e.raft.CommitIndex(), AppliedIndex: e.raft.AppliedIndex(),
		LastIndex: e.raft.LastIndex(), LastCommitted: st.Last.ID, LastCommittedHeight: st.Last.ID.Height(),
		LastCommittedHex: st.Last.ID.Hex(), Failovers: e.failovers.Load(),
		Produced: e.produced.Load(), Lost: e.lost.Load(), Rejected: st.Rejected, Refused: e.refused.Load(), PendingChanges: len(st.Pending),
	}
	if e.msg != nil {
		d := e.msg.Drops()
		s.MsgDrops = &d
	}
	if s.State != raft.Leader.String() {
		if lc := e.raft.LastContact(); !lc.IsZero() {
			s.LastContact = time.Since(lc)
		}
	}
	return s
}
