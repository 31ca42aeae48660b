package attest

import (
	"slices"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Receipt handles a receipt delivered by from (the authenticated node that
// sent it). Every receipt is answered with an Ack: accepted (counted now,
// or already counted) or refused with its reason; nothing refused is
// stored. The error is nil when the verification was counted now; a
// refusal's *Error says why (penalize from when Reason.Penalized).
//
// Order of checks: the sender must be the signer; the block must be
// pending (or recently finalized: excess or duplicate); the level must be
// the block's current one (a completed level: excess or duplicate; a
// level not reached or not configured: wrong-level); the verifier must
// have been asked at that level; the lower digest must be the one we sent;
// the signature must verify. A verifier that missed its deadline and was
// replaced is still counted while the level is incomplete (its answer is
// as good as its replacement's, which then becomes excess).
func (s *Scheduler) Receipt(now time.Time, from block.PublicKey, r *Receipt) error {
	v := r.Verification
	if from != v.Verifier {
		return s.refuseReceipt(from, &v, refuse(ReasonSignerMismatch, "%s delivered by %x", &v, from[:4]))
	}
	e := s.blocks[v.Block]
	if e == nil {
		if done, ok := s.recent[v.Block]; ok {
			return s.refuseReceipt(from, &v, s.classifyDone(done, &v, "finalized"))
		}
		return s.refuseReceipt(from, &v, refuse(ReasonUnknownBlock, "%s: block not pending", &v))
	}
	idx, ok := s.cfg.levelIndex(v.Level)
	switch {
	case !ok || idx > e.lvl:
		return s.refuseReceipt(from, &v, refuse(ReasonWrongLevel, "%s: block is at L%d", &v, e.st.Level))
	case idx < e.lvl:
		return s.refuseReceipt(from, &v, s.classifyDone(e.st.Done, &v, "complete"))
	case e.answered(v.Verifier):
		return s.refuseReceipt(from, &v, refuse(ReasonDuplicate, "%s already counted", &v))
	case e.ask(v.Verifier) < 0:
		return s.refuseReceipt(from, &v, refuse(ReasonUnasked, "%s: verifier not asked", &v))
	case v.Lower != e.lower:
		return s.refuseReceipt(from, &v, refuse(ReasonWrongLower, "%s: lower digest %x, want %x", &v, v.Lower[:4], e.lower[:4]))
	}
	if err := v.check(s.cfg.ChainID); err != nil {
		return s.refuseReceipt(from, &v, err)
	}
	s.accept(now, e, from, v)
	return nil
}

// classifyDone answers a receipt for a level already complete (state says
// whether the block is "complete" at that level or "finalized").
func (s *Scheduler) classifyDone(done []DoneLevel, v *Verification, state string) *Error {
	for _, d := range done {
		if d.Number != v.Level {
			continue
		}
		for _, g := range d.Got {
			if g.Verifier == v.Verifier {
				return refuse(ReasonDuplicate, "%s already counted", v)
			}
		}
		if slices.Contains(d.Asked, v.Verifier) {
			return refuse(ReasonExcess, "%s: L%d already %s with %d verifications", v, d.Number, state, len(d.Got))
		}
		return refuse(ReasonUnasked, "%s: verifier not asked", v)
	}
	return refuse(ReasonWrongLevel, "%s: block %s without that level", v, state)
}

// refuseReceipt answers a refused receipt and counts the reason.
func (s *Scheduler) refuseReceipt(from block.PublicKey, v *Verification, err *Error) error {
	s.stats.Refused[err.Reason]++
	s.ack(from, v, verdictOf(err.Reason))
	return err
}

func (s *Scheduler) ack(to block.PublicKey, v *Verification, st Verdict) {
	a := &Ack{Block: v.Block, Level: v.Level, Verifier: v.Verifier, Verdict: st}
	s.rd.Messages = append(s.rd.Messages, Outbound{To: to, Msg: Message{Ack: a}})
}

// accept counts v, acknowledges it (after the state carrying it is
// persisted: Ready's order), and completes the level when it has Required.
func (s *Scheduler) accept(now time.Time, e *entry, from block.PublicKey, v Verification) {
	s.stats.Accepted++
	e.st.Got = append(e.st.Got, v)
	slices.SortFunc(e.st.Got, cmpVerifier)
	s.markDirty(e)
	s.ack(from, &v, VerdictAccepted)
	if len(e.st.Got) >= s.cfg.Levels[e.lvl].Required {
		// A stalled block whose level a late answer completes is live
		// again: the next level starts normally.
		e.st.Stalled = ""
		s.complete(now, e)
		return
	}
	s.updateDue(e)
}
