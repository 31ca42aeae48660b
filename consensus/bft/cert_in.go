package bft

// onCert applies a certificate: one we formed from votes (formed, already
// made of verified signatures) or one a peer relayed (verified here first).
func (e *Engine) onCert(c *Certificate, formed bool) error {
	if c.View <= e.root.View {
		return refuse(ReasonStale, "%s, final view %d", c, e.root.View)
	}
	if c.View > e.cur+e.cfg.ViewWindow {
		// Far ahead: only a quorum can make one, so it proves the others
		// moved on. Verify before creating any state for the view.
		if err := c.Verify(e.cfg.ChainID, e.set, e.verify); err != nil {
			return err
		}
		formed = true
	}
	v := e.view(c.View)
	if e.isFast(c) && v.finalization == nil {
		// A fast finalization: final even if we hold the view's ordinary
		// notarization already.
		if !formed {
			if err := e.verifyCert(v, c); err != nil {
				return err
			}
		}
		if have := v.notarization; have != nil && have.Block != c.Block {
			return refuse(ReasonEquivocation, "%s conflicts with %s", c, have)
		}
		e.onFast(v, c, formed)
		return nil
	}
	if have := v.certOf(c.Kind); have != nil {
		if have.Block == c.Block {
			return e.moreReports(v, c, formed)
		}
		if !formed {
			if err := e.verifyCert(v, c); err != nil {
				return err
			}
		}
		// Two valid certificates of one kind for different blocks in one
		// view need more than f byzantine signers: the fault assumption is
		// broken. Keep the first; tests' cross-node checkers will see why.
		return refuse(ReasonEquivocation, "%s conflicts with %s", c, have)
	}
	if !formed {
		if err := e.verifyCert(v, c); err != nil {
			return err
		}
	}
	switch c.Kind {
	case Notarize:
		e.onNotarization(v, c, formed)
	case Nullify:
		v.nullification = c
		e.addReports(v, c, e.set)
		e.rd.Messages = appendIf(e.rd.Messages, formed, c)
		e.enter(c.View + 1)
	case Finalize:
		e.onFinalization(v, c, formed)
	}
	return nil
}

// verifyCert verifies a relayed certificate, skipping signatures identical
// to votes we already verified and counted for the same kind, view and
// block (a certificate usually repeats votes we received one by one).
func (e *Engine) verifyCert(v *view, c *Certificate) error {
	if err := c.checkShape(e.set); err != nil {
		return err
	}
	var known *votes
	switch c.Kind {
	case Notarize:
		known = v.notarizes[c.Block]
	case Nullify:
		known = v.nullifies
	case Finalize:
		known = v.finalizes[c.Block]
	}
	for i, s := range c.Signers {
		if known != nil && known.tally.Has(s) && known.sigs[s] == c.Sigs[i] &&
			(c.Kind != Nullify || known.reports[s] == c.Reports[i]) {
			continue
		}
		if !e.verify.Verify(e.set.Key(s), c.signedBy(e.cfg.ChainID, i), c.Sigs[i]) {
			return refuse(ReasonBadSignature, "%s: signer %d", c, s)
		}
	}
	return nil
}

func appendIf(ms []Message, ok bool, c *Certificate) []Message {
	if ok {
		ms = append(ms, Message{Cert: c})
	}
	return ms
}

// onNotarization: the view's block is notarized. Unless we nullified the
// view (then we must never finalize it), vote to finalize; move on.
func (e *Engine) onNotarization(v *view, c *Certificate, formed bool) {
	v.notarization = c
	e.rd.Messages = appendIf(e.rd.Messages, formed, c)
	e.rd.Notarized = append(e.rd.Notarized, c)
	if (!v.nullified || e.broken.noSafety) && !v.finalized {
		e.sign(v, Finalize, c.Block)
	}
	e.enter(c.View + 1)
}

// onFinalization: the block and its ancestors are final. It becomes the
// root; the views at and below it (and their records) are no longer needed:
// we never sign in them again.
func (e *Engine) onFinalization(v *view, c *Certificate, formed bool) {
	v.finalization = c
	e.rd.Messages = appendIf(e.rd.Messages, formed, c)
	e.rd.Finalized = append(e.rd.Finalized, c)
	e.root = Root{ID: c.Block, View: c.View}
	e.rootCert = c
	if !e.broken.skipPersist {
		e.rd.Persist = append(e.rd.Persist, Record{Kind: RecRoot, View: c.View, Block: c.Block, Cert: c})
		e.rd.PruneBelow = c.View
	}
	for n := range e.views {
		if n <= c.View {
			delete(e.views, n)
		}
	}
	for ic := range e.inherited {
		if ic.View <= c.View {
			delete(e.inherited, ic)
		}
	}
	for id, b := range e.blocks {
		if b.View < c.View || (b.View == c.View && id != c.Block) {
			delete(e.blocks, id)
		}
	}
	if _, ok := e.blocks[c.Block]; !ok {
		e.blocks[c.Block] = Block{ID: c.Block, View: c.View}
	}
	e.enter(c.View + 1)
}
