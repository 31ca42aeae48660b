package bft

import "github.com/blockwire/blockwire/chain/block"

// maybeNotarize votes for the view's proposal once it is valid: we are in
// its view, have not voted notarize or nullify in it, and its parent is
// justified (parentOK).
func (e *Engine) maybeNotarize(v *view) {
	if v.n != e.cur || v.proposal == nil {
		return
	}
	if !e.broken.noSafety && (v.notarized || v.nullified) {
		return
	}
	if e.broken.noSafety && v.notarized && v.myNotarize == v.proposal.ID {
		return
	}
	if !e.parentOK(*v.proposal) {
		return
	}
	e.sign(v, Notarize, v.proposal.ID)
}

// parentOK is Simplex's validity rule for a proposal b of view b.View with
// parent p, extended for the fast path: p is the root, or a block of a view
// above the root and below b.View that is notarized (or finalized) or named
// by f+1 nullify reports (reports.go); every view strictly between p's and
// b's is nullified and not held by a reported block; heights are
// consecutive. It is what makes every block a correct producer notarizes
// extend every finalized block (see doc.go).
func (e *Engine) parentOK(b Block) bool {
	p, ok := e.blocks[b.Parent]
	if !ok || b.ID.Height() != p.ID.Height()+1 || p.View >= b.View {
		return false
	}
	if p.ID != e.root.ID {
		if p.View <= e.root.View {
			return false
		}
		w := e.views[p.View]
		if w == nil {
			return false
		}
		if id, ok := w.notarizedBlock(); (!ok || id != p.ID) && !e.reported(w, p.ID) {
			return false
		}
	}
	for u := p.View + 1; u < b.View; u++ {
		w := e.views[u]
		if w == nil || w.nullification == nil {
			return false
		}
		if len(e.held(w)) > 0 {
			return false // a fast-finalized block may sit here: go through it
		}
	}
	return true
}

// maybeAskPropose asks the driver for a block when we lead the current
// view, have not voted in it, and know the parent to build on.
func (e *Engine) maybeAskPropose(v *view) {
	if v.n != e.cur || e.set.Leader(v.n) != e.self || v.proposeAsked || v.notarized || v.nullified {
		return
	}
	parent, ok := e.proposalParent(v.n)
	if !ok {
		return
	}
	v.proposeAsked = true
	e.rd.Propose = &ProposeRequest{View: v.n, Parent: parent}
}

// proposalParent walks down from view n−1 over nullified views to the
// highest notarized block, or the block holding a nullified view (reports),
// or the root, which the next block must extend. It fails while a view
// below has neither certificate, or the block itself has not arrived.
func (e *Engine) proposalParent(n uint64) (block.ID, bool) {
	for u := n - 1; u > e.root.View; u-- {
		w := e.views[u]
		if w == nil {
			return block.ZeroID, false
		}
		if id, ok := w.notarizedBlock(); ok {
			_, have := e.blocks[id]
			return id, have
		}
		if w.nullification == nil {
			return block.ZeroID, false
		}
		if held := e.held(w); len(held) > 0 {
			for _, id := range held { // any is safe (reports.go): one we hold
				if _, have := e.blocks[id]; have {
					return id, true
				}
			}
			return block.ZeroID, false // fetching (Ready.Reported)
		}
	}
	return e.root.ID, true
}
