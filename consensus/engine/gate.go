package engine

import (
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
)

// headerGate is how a node learns irreversibility under CFT and, on full
// nodes, under solo: a cft.Gate fed every stored body, the commits the
// engine hands it, and the Irreversible field of every stored header.
// Loop goroutine only.
type headerGate struct {
	g *cft.Gate // nil until first used
}

// of opens the gate at the chain's irreversible block: every stored block
// above it has its body, so commits replayed by raft after a restart find
// them.
func (h *headerGate) of(c Chain) *cft.Gate {
	if h.g == nil {
		h.g = cft.NewGate(c.IrreversibleID())
		for _, b := range c.Above() {
			h.g.Arrived(b.ID())
		}
	}
	return h.g
}

// arrived feeds the gate: the body is stored, and the header's view of
// the irreversible block is committed. Full nodes learn irreversibility
// from headers only. A CFT producer learns it from raft, and from headers
// too: a producer that a change removes can be dropped from raft's
// configuration (replication to it stops) before it applied the block that
// removed it, and would then never see that block irreversible, never
// adopt the new set, and never stop acting as a producer. A header's
// Irreversible field names a block its producer applied from the raft
// log, so it is the raft chain either way (cft package doc, Safety).
func (h *headerGate) arrived(c Chain, b *block.Block) Follow {
	g := h.of(c)
	var f Follow
	if irr, moved := g.Arrived(b.ID()); moved {
		f.irreversible(irr)
	}
	if claimed, ok := cft.FromHeader(g.Irreversible(), &b.Header); ok {
		if irr, moved := g.Committed(claimed); moved {
			f.irreversible(irr)
		}
	}
	return f
}
