package cft

import (
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/blockwire/blockwire/chain/block"
)

// authorize is the FSM's defence in depth behind the guard: with serverOf
// set (Config.ServerOf), a block entry is applied only if
//
//  1. it carries the block's signed header (entry version 2), which the
//     entry's id, parent and header hash are derived from;
//  2. the header is well formed and its signature valid (block
//     SignedHeader.Check);
//  3. the header's term is not above the raft term of the log entry: a
//     leader builds in its own term, and re-proposes (Produced.Via) blocks
//     of earlier terms, never of later ones;
//  4. the signer is a voter of the configuration in force (Conf, the last
//     configuration the log committed).
//
// What it cannot check from the log alone is that the signer led the
// entry's term: raft's log does not record who appended an entry, and a
// new leader re-proposes blocks signed by its predecessors. Every input
// is in the log (Conf is applied in log order through
// StoreConfiguration), so every member decides the same. A leader whose
// re-proposed block is refused does not offer it again (Engine.commitLink,
// ProduceRequest.NoVia): it builds on the last committed block instead.
func (s *fsmState) authorize(e *blockEntry, l *raft.Log, serverOf func(block.PublicKey) (raft.ServerID, bool)) error {
	if serverOf == nil {
		return nil
	}
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("%w: entry %d (%s): %s", ErrUnauthorizedEntry, l.Index, e.ID, fmt.Sprintf(format, a...))
	}
	h := e.Header
	if h == nil {
		return refuse("no signed header")
	}
	if err := h.Check(); err != nil {
		return refuse("%v", err)
	}
	if h.Term > l.Term {
		return refuse("header term %d above raft term %d", h.Term, l.Term)
	}
	id, ok := serverOf(h.Producer)
	if !ok {
		return refuse("producer key %s names no server", h.Producer)
	}
	if !hasVoter(s.Conf, id) {
		return refuse("signer %s is not a voter of the configuration in force (index %d)", id, s.ConfIndex)
	}
	return nil
}

// hasVoter reports whether id is a voter of c.
func hasVoter(c raft.Configuration, id raft.ServerID) bool {
	for _, srv := range c.Servers {
		if srv.ID == id {
			return srv.Suffrage == raft.Voter
		}
	}
	return false
}
