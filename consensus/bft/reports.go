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

// evidence is a view's nullify reports: signer → every block it reported
// (zero for none) → the signature over that report. A correct signer signs
// one report per view; a byzantine one may sign several, and each counts
// for the block it names: that keeps the rule safe (a block that was not
// fast-finalized is still named only by byzantine signers, at most f) and
// makes the evidence a union, the same at every producer that received the
// same reports in any order. Keeping only a signer's first report made
// producers that heard a double-reporter's two reports in different orders
// disagree for ever on which views are held (sim seed 581).
type evidence map[int]map[block.ID]block.Signature

// add enters a verified report; it reports whether it was new.
func (ev evidence) add(s int, id block.ID, sig block.Signature) bool {
	m := ev[s]
	if m == nil {
		m = map[block.ID]block.Signature{}
		ev[s] = m
	}
	if _, ok := m[id]; ok {
		return false
	}
	m[id] = sig
	return true
}

// has reports whether s's report of id is in the evidence.
func (ev evidence) has(s int, id block.ID) bool {
	_, ok := ev[s][id]
	return ok
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
		v.reports.add(idx, c.Reports[i], c.Sigs[i])
	}
	e.noteReported(v)
}

// moreReports takes the reports of a second nullification of a view we
// hold one for (correct producers form theirs from different votes, and
// retries relay the evidence, evidenceCerts): it is verified, then merged,
// only if it brings a report we lack. Other kinds add nothing.
func (e *Engine) moreReports(v *view, c *Certificate, formed bool) error {
	if c.Kind != Nullify {
		return nil
	}
	news := false
	for i, s := range c.Signers {
		if !v.reports.has(s, c.Reports[i]) {
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
	for s, m := range v.reports {
		if _, ok := m[id]; ok && g.Has(s) {
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
	for _, m := range v.reports {
		for r := range m {
			if !r.IsZero() && count[r] == 0 {
				count[r] = e.reportCount(v, r)
			}
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

// namesBlock reports whether v's evidence names any block: only such a
// view can be, or become, held.
func (v *view) namesBlock() bool {
	for _, m := range v.reports {
		for r := range m {
			if !r.IsZero() {
				return true
			}
		}
	}
	return false
}

// evidenceCerts packs v's whole evidence into nullifications to relay: one
// per report of the signer with the most, each carrying every signer (its
// k-th report, or its first when it has fewer; reports in id order). A
// single nullification carries one report per signer, chosen by whoever
// formed it, so without this relay producers keep the evidence they
// happened to receive and may disagree for ever on which views are held:
// each refuses the parent the other's leaders pick (sim seed 581). None
// while the evidence lacks a quorum of signers (an inherited view).
func (e *Engine) evidenceCerts(v *view) []*Certificate {
	rows := map[int][]block.ID{}
	most := 0
	for s, m := range v.reports {
		ids := make([]block.ID, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b block.ID) int { return bytes.Compare(a[:], b[:]) })
		rows[s] = ids
		most = max(most, len(ids))
	}
	var out []*Certificate
	for k := range most {
		set := newVotes(e.set)
		for s, ids := range rows {
			if !e.set.Rule().Contains(s) {
				continue
			}
			id := ids[0]
			if k < len(ids) {
				id = ids[k]
			}
			set.add(s, v.reports[s][id], id)
		}
		if !set.tally.Met() {
			return nil
		}
		out = append(out, set.cert(Nullify, v.n, block.ZeroID, e.set.Len()))
	}
	return out
}
