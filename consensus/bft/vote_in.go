package bft

import "github.com/blockwire/blockwire/chain/block"

// onVote counts a producer's vote. The order of checks is cheapest first;
// the signature is verified before anything is derived from the vote.
func (e *Engine) onVote(from int, vt *Vote) error {
	if err := vt.check(); err != nil {
		return err
	}
	s := int(vt.Signer)
	if s >= e.set.Len() || !e.set.Rule().Contains(s) {
		return refuse(ReasonNonMember, "%s", vt)
	}
	if s != from {
		return refuse(ReasonSignerMismatch, "%s delivered by %d", vt, from)
	}
	if vt.View <= e.root.View {
		return refuse(ReasonStale, "%s, final view %d", vt, e.root.View)
	}
	if vt.View > e.cur+e.cfg.ViewWindow {
		return refuse(ReasonViewTooFar, "%s, our view %d", vt, e.cur)
	}
	v := e.view(vt.View)
	if err := e.checkFresh(v, vt); err != nil {
		return err
	}
	if !e.wants(v, vt) {
		return nil // the view already has this certificate; the vote adds nothing
	}
	if !e.verify.Verify(e.set.Key(s), VoteBytes(e.cfg.ChainID, vt.Kind, vt.View, vt.Block), vt.Sig) {
		return refuse(ReasonBadSignature, "%s", vt)
	}
	e.lastActive[s] = max(e.lastActive[s], vt.View)
	e.count(v, vt)
	return nil
}

// checkFresh refuses a vote already counted, and a second, different
// notarize or finalize vote of one signer in one view (equivocation: only
// the first is counted, which is all a correct signer ever sends).
func (e *Engine) checkFresh(v *view, vt *Vote) error {
	s := int(vt.Signer)
	var prev map[int]block.ID
	switch vt.Kind {
	case Nullify:
		if v.nullifies.tally.Has(s) {
			return refuse(ReasonDuplicate, "%s", vt)
		}
		return nil
	case Notarize:
		prev = v.notarizeBy
	default:
		prev = v.finalizeBy
	}
	if id, ok := prev[s]; ok {
		if id == vt.Block {
			return refuse(ReasonDuplicate, "%s", vt)
		}
		return refuse(ReasonEquivocation, "%s after one for %s", vt, id)
	}
	return nil
}

// count adds a verified vote (or our own) and certifies on a quorum.
func (e *Engine) count(v *view, vt *Vote) {
	s := int(vt.Signer)
	var set *votes
	switch vt.Kind {
	case Nullify:
		set = v.nullifies
		if v.reports.add(s, vt.Block, vt.Sig) && v.nullification != nil {
			e.noteReported(v)
		}
	case Notarize:
		v.notarizeBy[s] = vt.Block
		set = v.notarizes[vt.Block]
		if set == nil {
			set = newVotes(e.set)
			v.notarizes[vt.Block] = set
		}
	default:
		v.finalizeBy[s] = vt.Block
		set = v.finalizes[vt.Block]
		if set == nil {
			set = newVotes(e.set)
			v.finalizes[vt.Block] = set
		}
	}
	set.add(s, vt.Sig, vt.Block)
	if v.certOf(vt.Kind) == nil && set.tally.Met() {
		id := vt.Block
		if vt.Kind == Nullify {
			id = block.ZeroID // a nullification names no block; its reports are per signer
		}
		_ = e.onCert(set.cert(vt.Kind, vt.View, id, e.set.Len()), true)
	}
	if vt.Kind == Notarize {
		e.maybeFast(v, vt.Block, set)
	}
}

// wants reports whether a fresh vote still adds something: the view lacks
// its kind's certificate; or, for a notarize vote of the notarized block,
// the fast path may still complete (fast.go); or a nullify vote brings a
// report we lack (reports.go).
func (e *Engine) wants(v *view, vt *Vote) bool {
	switch have := v.certOf(vt.Kind); {
	case have == nil:
		return true
	case vt.Kind == Notarize:
		return e.fastOn() && v.finalization == nil && have.Block == vt.Block
	case vt.Kind == Nullify:
		return !v.reports.has(int(vt.Signer), vt.Block)
	}
	return false
}
