package cft

import (
	"slices"

	"github.com/blockwire/blockwire/chain/block"
)

// Gate decides when a committed block becomes irreversible on this node: a
// block is irreversible once it is committed and its body is in the block
// log. Producers feed it Commit ids from the Applier; non-producers feed it
// the Irreversible field of headers they accepted (FromHeader). Both feed it
// Arrived for every body the block log stores (chain.Add). Gate is pure and
// not safe for concurrent use; the chain layer owns it.
//
// Committing a block commits its ancestors, and the block log stores a body
// only after its parent's, so the irreversible block is simply the highest
// committed block whose body is present; ids committed above it wait in a
// queue until their bodies arrive (fetch them through blocksync).
type Gate struct {
	// irr is the irreversible block. Invariant: it only moves up.
	irr block.ID
	// waiting are committed ids above irr whose bodies are missing, sorted
	// by height. Invariant: at most one id per height (the committed chain
	// is one chain, see doc.go).
	waiting []block.ID
	// have records bodies that arrived above irr and are not yet committed.
	have map[block.ID]struct{}
}

// NewGate starts from the irreversible block read back from the block log.
func NewGate(irreversible block.ID) *Gate {
	return &Gate{irr: irreversible, have: map[block.ID]struct{}{}}
}

// Irreversible returns the irreversible block.
func (g *Gate) Irreversible() block.ID { return g.irr }

// Missing returns the committed ids whose bodies are still missing, lowest
// first: what blocksync should fetch.
func (g *Gate) Missing() []block.ID { return slices.Clone(g.waiting) }

// Committed records that id is committed. It returns the new irreversible
// block and true when the irreversible block moved.
func (g *Gate) Committed(id block.ID) (block.ID, bool) {
	if id.Height() <= g.irr.Height() || slices.Contains(g.waiting, id) {
		return g.irr, false
	}
	i, _ := slices.BinarySearchFunc(g.waiting, id, func(a, b block.ID) int { return a.Compare(b) })
	g.waiting = slices.Insert(g.waiting, i, id)
	return g.advance()
}

// Arrived records that id's body is in the block log.
func (g *Gate) Arrived(id block.ID) (block.ID, bool) {
	if id.Height() <= g.irr.Height() {
		return g.irr, false
	}
	g.have[id] = struct{}{}
	return g.advance()
}

func (g *Gate) advance() (block.ID, bool) {
	moved := false
	for i := len(g.waiting) - 1; i >= 0; i-- {
		id := g.waiting[i]
		if _, ok := g.have[id]; !ok {
			continue
		}
		g.irr, moved = id, true
		g.waiting = slices.Clone(g.waiting[i+1:])
		for h := range g.have {
			if h.Height() <= id.Height() {
				delete(g.have, h)
			}
		}
		break
	}
	return g.irr, moved
}

// FromHeader is how a non-producer learns irreversibility: the producer of
// an accepted header states its view of the irreversible block in
// h.Irreversible, which the producer had applied from the raft log. Under
// CFT producers are trusted (crash faults only), so the claim is committed.
// It returns the claimed id and true when it is above cur; the caller then
// passes it to Gate.Committed. The caller must accept h (signature checked,
// producer in the producer set) before believing it.
func FromHeader(cur block.ID, h *block.Header) (block.ID, bool) {
	if h.Irreversible.Height() <= cur.Height() || h.Irreversible.IsZero() {
		return cur, false
	}
	return h.Irreversible, true
}
