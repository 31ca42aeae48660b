package bft

import "time"

// Inherit hands the engine a certificate of the previous epoch's set
// (Config.Prev): a notarization or nullification of a view above our root,
// made before this producer set took over (docs/protocol.md §11.7, "Epoch
// boundary").
//
// Why: votes carry no epoch, so a producer that voted finalize under the
// old set in a view above the new epoch's root can never nullify that
// view in the new epoch, and the new epoch's leader of that view is
// usually another producer. When the new set's quorum needs that producer
// (a joint set of 2 + 3 needs all three) the view could never end. Its
// finalize vote means it saw the old set notarize the view's block; with
// that notarization the view ends here too, and the next leader builds on
// the notarized block.
//
// Why it is safe: every certificate of Config.Set holds a quorum of a
// group that every certificate of Prev holds a quorum of too (the old set
// while joint; the new set in the plain epoch after a joint one), and each
// correct producer keeps one set of records across epochs. So Prev's
// certificates and ours intersect in a correct producer exactly as two of
// ours do: one notarized block per view, never a finalization in a
// nullified view. Finalizations are not inherited: an epoch ends only on
// a finalization of its own set (bftchain's switching rule).
//
// The certificate is verified against Prev entirely. It is never relayed
// in this epoch's messages (its signers index Prev): Ready.Inherited lists
// it for the driver to send in the previous epoch's envelope.
func (e *Engine) Inherit(now time.Time, c *Certificate) error {
	e.now = now
	err := e.inherit(c)
	e.progress()
	return err
}

func (e *Engine) inherit(c *Certificate) error {
	p := e.cfg.Prev
	switch {
	case p == nil:
		return refuse(ReasonWrongSet, "%s: this epoch has no previous set", c)
	case c.Kind == Finalize:
		return refuse(ReasonStale, "%s: a previous set's finalization does not end this epoch", c)
	case c.View <= e.root.View:
		return refuse(ReasonStale, "%s, final view %d", c, e.root.View)
	case c.View > e.cur+e.cfg.ViewWindow:
		return refuse(ReasonViewTooFar, "%s, ours %d", c, e.cur)
	}
	v := e.view(c.View)
	if have := v.certOf(c.Kind); have != nil && have.Block == c.Block {
		return nil
	}
	if err := c.Verify(e.cfg.ChainID, p, e.verify); err != nil {
		return err
	}
	if have := v.certOf(c.Kind); have != nil {
		return refuse(ReasonEquivocation, "%s conflicts with %s", c, have)
	}
	e.inherited[c] = true
	e.rd.Inherited = append(e.rd.Inherited, c)
	if c.Kind == Notarize {
		e.onNotarization(v, c, false)
		return nil
	}
	v.nullification = c
	e.addReports(v, c, p) // by key: the fast path's rule reads them (reports.go)
	e.enter(c.View + 1)
	return nil
}

// Certificates returns the notarizations and nullifications of this
// engine's own set in views above view: what the driver hands the next
// epoch's engine (Inherit) when the producer set changes.
func (e *Engine) Certificates(above uint64) []*Certificate {
	var out []*Certificate
	for n, v := range e.views {
		if n <= above {
			continue
		}
		for _, c := range []*Certificate{v.notarization, v.nullification} {
			if c != nil && !e.inherited[c] {
				out = append(out, c)
			}
		}
	}
	return out
}

// Blocks returns the blocks held in views above view (the driver hands
// them to the next epoch's engine with the certificates).
func (e *Engine) Blocks(above uint64) []Block {
	var out []Block
	for _, b := range e.blocks {
		if b.View > above {
			out = append(out, b)
		}
	}
	return out
}

// carried reports whether b, not its view's leader's in this set, is
// still a block we may build on: the view's certificate names it, or the
// previous set's leader of its view made it (its notarization may arrive
// by Inherit). Such a block is never the view's proposal.
func (e *Engine) carried(b Block) bool {
	if w := e.views[b.View]; w != nil {
		if id, ok := w.notarizedBlock(); ok && id == b.ID {
			return true
		}
	}
	if p := e.cfg.Prev; p != nil {
		i, ok := p.Index(b.Producer)
		return ok && i == p.Leader(b.View)
	}
	return false
}
