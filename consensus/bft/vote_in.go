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
	if v.certOf(vt.Kind) != nil {
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
	set.add(s, vt.Sig)
	if v.certOf(vt.Kind) == nil && set.tally.Met() {
		_ = e.onCert(set.cert(vt.Kind, vt.View, vt.Block, e.set.Len()), true)
	}
}
