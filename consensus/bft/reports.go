package bft

import (
	"bytes"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/quorum"
)

// Nullify reports: the evidence that keeps the fast path safe (doc.go,
// "Fast path"). A nullify vote signs the block its signer notarized in the
// view. If block B of view v was fast-finalized, every correct producer
// notarized B, so every nullification of v holds at least f+1 reports of
// B (a quorum holds at least f+1 correct signers) and no other block can
// gather f+1 reports (at most f signers lie). So:
//
//   - a view whose nullification evidence names a block f+1 times is
//     "held": a proposal may not skip it (held);
//   - a block named f+1 times is a usable parent like a notarized one: at
//     least one correct producer notarized it, so its body exists and it
//     extends what that producer's parent rule required (reported).
//
// f is counted in the report group: the whole set when plain, the old set
// while joint (the old set's engine may have fast-finalized in a view
// above the joint epoch's root; the joint set never fast-finalizes).

// reportGroup returns the signers whose reports count, and the f+1 needed.
func (e *Engine) reportGroup() (quorum.Bitmap, int) {
	rule := e.set.Rule()
	g := rule[len(rule)-1]
	return g.Members, quorum.MaxFaulty(g.Members.Count()) + 1
}

// addReports enters a verified nullification's reports into v's evidence.
// from is the set c was verified against (Config.Prev for an inherited
// one): its signers are mapped to ours by key, and reports of signers
// outside our set are dropped.
func (e *Engine) addReports(v *view, c *Certificate, from *Set) {
	for i, s := range c.Signers {
		idx := s
		if from != e.set {
			var ok bool
			if idx, ok = e.set.Index(from.Key(s)); !ok {
				continue
			}
		}
		if _, ok := v.reports[idx]; !ok {
			v.reports[idx] = c.Reports[i]
		}
	}
	e.noteReported(v)
}

// moreReports takes the reports of a second nullification of a view we
// hold one for (correct producers form theirs from different votes): it is
// verified, then merged, only if it names signers we have no report of.
// Other kinds add nothing.
func (e *Engine) moreReports(v *view, c *Certificate, formed bool) error {
	if c.Kind != Nullify {
		return nil
	}
	news := false
	for _, s := range c.Signers {
		if _, ok := v.reports[s]; !ok {
			news = true
		}
	}
	if !news {
		return nil
	}
	if !formed {
		if err := e.verifyCert(v, c); err != nil {
			return err
		}
	}
	e.addReports(v, c, e.set)
	return nil
}

// reportCount counts the report group's signers that reported id in v.
func (e *Engine) reportCount(v *view, id block.ID) int {
	g, _ := e.reportGroup()
	k := 0
	for s, r := range v.reports {
		if r == id && g.Has(s) {
			k++
		}
	}
	return k
}

// reported reports whether id, a block of view v, is named by f+1 reports
// of v's nullification evidence (a usable parent).
func (e *Engine) reported(v *view, id block.ID) bool {
	if v == nil || v.nullification == nil || id.IsZero() || e.broken.noReports {
		return false
	}
	_, need := e.reportGroup()
	return e.reportCount(v, id) >= need
}

// held returns the blocks that hold nullified view v (no proposal may
// skip v; it must pass through one of them): those named by f+1 reports,
// most named first, ties to the lower id. Several qualify only when none
// was fast-finalized; then any is safe.
func (e *Engine) held(v *view) []block.ID {
	if v == nil || v.nullification == nil || e.broken.noReports {
		return nil
	}
	_, need := e.reportGroup()
	count := map[block.ID]int{}
	for _, r := range v.reports {
		if !r.IsZero() && count[r] == 0 {
			count[r] = e.reportCount(v, r)
		}
	}
	var out []block.ID
	for id, n := range count {
		if n >= need {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b block.ID) int {
		if c := count[b] - count[a]; c != 0 {
			return c
		}
		return bytes.Compare(a[:], b[:])
	})
	return out
}

// noteReported lists in Ready.Reported, once each, the blocks of v that
// became usable parents by reports, so the driver fetches and pins them
// (an equivocating leader may have shown us the other block).
func (e *Engine) noteReported(v *view) {
	for _, id := range e.held(v) {
		if v.reportedOut[id] {
			continue
		}
		if v.reportedOut == nil {
			v.reportedOut = map[block.ID]bool{}
		}
		v.reportedOut[id] = true
		e.rd.Reported = append(e.rd.Reported, BlockRef{ID: id, View: v.n})
	}
}
