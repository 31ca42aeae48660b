package bft

import "github.com/blockwire/blockwire/chain/block"

// The fast path (doc.go, "Fast path"): a block whose notarize votes come
// from every producer of a plain set is final at once, one voting round
// (2δ) after its proposal instead of two (3δ). The ordinary path stays; this
// is one more way to become final, with the same outputs (Ready.Finalized,
// RecRoot) and the full notarization as the certificate.

// fastOn reports whether the fast path is enabled: never under a joint set
// (two sets govern; see doc.go for why it is off rather than doubled).
func (e *Engine) fastOn() bool { return !e.set.Joint() }

// fastNeed is how many notarize signers make a fast finalization: every
// member. (The broken fastShort build takes one fewer, to prove the
// checkers catch it.)
func (e *Engine) fastNeed() int {
	if e.broken.fastShort {
		return e.set.Len() - 1
	}
	return e.set.Len()
}

// isFast reports whether c is a fast finalization for this engine.
func (e *Engine) isFast(c *Certificate) bool {
	return e.fastOn() && c.Kind == Notarize && len(c.Signers) >= e.fastNeed()
}

// maybeFast finalizes v's block id once its notarize votes (set) come from
// every member.
func (e *Engine) maybeFast(v *view, id block.ID, set *votes) {
	if !e.fastOn() || v.finalization != nil || set.tally.Count() < e.fastNeed() {
		return
	}
	if n := v.notarization; n == nil || n.Block != id {
		return // the quorum certificate forms first (count); it names id
	}
	e.onFinalization(v, set.cert(Notarize, v.n, id, e.set.Len()), true)
}

// onFast applies a relayed fast finalization (verified by the caller).
// It also serves as the view's notarization if we lacked one.
func (e *Engine) onFast(v *view, c *Certificate, formed bool) {
	if v.finalization != nil {
		return
	}
	if v.notarization == nil {
		v.notarization = c
	}
	e.onFinalization(v, c, formed)
}
