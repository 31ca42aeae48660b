package bft

import (
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// enter moves to view n (only forward). A leader we have heard nothing
// from for more than SkipAfterViews views is skipped at once: nullifying now
// costs one round trip instead of a LeaderTimeout (commonware's
// skip_timeout).
func (e *Engine) enter(n uint64) {
	if n <= e.cur {
		return
	}
	e.cur = n
	e.entered = e.now
	v := e.view(n)
	if v.nullified || v.finalized {
		// Restarted after signing in this view: rebroadcast at once.
		v.timedOut, e.retryAt = true, e.now
		return
	}
	leader := e.set.Leader(n)
	if leader != e.self && e.cfg.SkipAfterViews > 0 && n > e.lastActive[leader]+e.cfg.SkipAfterViews && !v.notarized {
		e.timeout(v)
	}
}

// onTimer fires the current view's timeouts and retries.
func (e *Engine) onTimer() {
	v := e.view(e.cur)
	if !v.timedOut {
		if !e.now.Before(e.entered.Add(e.cfg.AdvanceTimeout)) ||
			(!v.notarized && !e.now.Before(e.entered.Add(e.cfg.LeaderTimeout))) {
			e.timeout(v)
		}
		return
	}
	if !e.now.Before(e.retryAt) {
		e.retry(v)
		e.retryAt = e.now.Add(e.cfg.RetryInterval)
	}
}

// timeout gives up on the view: nullify it (unless we finalized it, which
// only a restart inside a finalized view can leave us in) and start the
// retry timer.
func (e *Engine) timeout(v *view) {
	v.timedOut = true
	e.retryAt = e.now.Add(e.cfg.RetryInterval)
	if !v.nullified && (!v.finalized || e.broken.noSafety) {
		// The vote reports what we notarized in v (the fast path's rule).
		e.sign(v, Nullify, v.reportOf())
	}
	// The nullify goes out with the certificates that justify our view:
	// a producer that missed one (loss) could otherwise never accept a
	// proposal built on it, and views could keep ending by nullification
	// before any retry timer fires.
	e.sendJustification()
}

// deadline is the next time Tick has work.
func (e *Engine) deadline() time.Time {
	v := e.views[e.cur]
	if v == nil {
		return time.Time{}
	}
	if v.timedOut {
		return e.retryAt
	}
	d := e.entered.Add(e.cfg.AdvanceTimeout)
	if !v.notarized {
		if l := e.entered.Add(e.cfg.LeaderTimeout); l.Before(d) {
			d = l
		}
	}
	return d
}

// retry rebroadcasts our votes in the current view and the certificates
// that justify being in it: the finalization of the root, then walking
// down from the view below ours, nullifications up to the highest
// notarization. A producer that lost messages or was partitioned catches up
// from these (they are exactly what it needs to accept the next proposal).
func (e *Engine) retry(v *view) {
	for _, k := range []Kind{Notarize, Nullify, Finalize} {
		if vt, ok := e.myVote(v, k); ok {
			e.rd.Messages = append(e.rd.Messages, Message{Vote: vt})
		}
	}
	e.sendJustification()
}

// sendJustification broadcasts the finalization of our root and, walking
// down from the view below ours, the certificates up to the highest
// notarization. For a view below ours whose certificate we do not hold (a
// restart loses certificates; records keep only our votes) it re-sends our
// own votes in it instead, so a producer still in that view can complete
// the certificate. A nullified view whose reports name a block goes out as
// its whole evidence (evidenceCerts), and so do such views further down,
// from the highest notarization up, that the walk's bound did not reach:
// they decide the parent every leader picks and every voter checks, so
// producers must converge on them (sim seed 581 stalled for ever when they
// did not).
func (e *Engine) sendJustification() {
	var out []Message
	if e.rootCert != nil {
		out = append(out, Message{Cert: e.rootCert})
	}
	u := e.cur - 1
	for ; u > e.root.View && len(out) < e.cfg.MaxRetryCerts; u-- {
		w := e.views[u]
		if w == nil {
			break
		}
		if c := w.notarization; c != nil {
			out = e.justify(out, c)
			break
		}
		if c := w.nullification; c != nil {
			out = e.justifyNull(out, w, c)
			continue
		}
		for _, k := range []Kind{Notarize, Nullify, Finalize} {
			if vt, ok := e.myVote(w, k); ok {
				out = append(out, Message{Vote: vt})
			}
		}
	}
	out = e.lowEvidence(out, u)
	e.rd.Messages = append(e.rd.Messages, out...)
}

// justifyNull adds nullified view w's justification: its nullification c,
// or its whole evidence when the reports name a block.
func (e *Engine) justifyNull(out []Message, w *view, c *Certificate) []Message {
	if e.inherited[c] || !w.namesBlock() {
		return e.justify(out, c)
	}
	cs := e.evidenceCerts(w)
	if len(cs) == 0 {
		return e.justify(out, c)
	}
	for _, ec := range cs {
		out = append(out, Message{Cert: ec})
	}
	return out
}

// lowEvidence adds, from the highest notarized view below ours up to view
// top (where the walk stopped), the evidence of nullified views
// whose reports name a block, at most MaxRetryCerts certificates.
func (e *Engine) lowEvidence(out []Message, top uint64) []Message {
	low := e.root.View
	for u := top; u > e.root.View; u-- {
		if w := e.views[u]; w != nil && w.notarization != nil {
			low = u
			break
		}
	}
	n := len(out)
	for u := low + 1; u <= top && len(out)-n < e.cfg.MaxRetryCerts; u++ {
		w := e.views[u]
		if w == nil || w.nullification == nil || e.inherited[w.nullification] || !w.namesBlock() {
			continue
		}
		for _, ec := range e.evidenceCerts(w) {
			out = append(out, Message{Cert: ec})
		}
	}
	return out
}

// justify adds c to the justification; an inherited certificate goes to
// Ready.Inherited instead (its signers index the previous set).
func (e *Engine) justify(out []Message, c *Certificate) []Message {
	if e.inherited[c] {
		e.rd.Inherited = append(e.rd.Inherited, c)
		return out
	}
	return append(out, Message{Cert: c})
}

// myVote re-creates our vote of kind k in v, if we signed one (ed25519
// signatures are deterministic: the same bytes as the first time, so a
// retransmission is never a second, different vote), and counts it if a
// restart made us forget it.
func (e *Engine) myVote(v *view, k Kind) (*Vote, bool) {
	var id block.ID
	switch {
	case k == Notarize && v.notarized:
		id = v.myNotarize
	case k == Finalize && v.finalized:
		id = v.myFinalize
	case k == Nullify && v.nullified:
		id = v.myReport
	default:
		return nil, false
	}
	vt := signWith(e.signer, e.cfg.ChainID, k, v.n, id, e.self)
	if err := e.checkFresh(v, &vt); err == nil && e.wants(v, &vt) {
		e.count(v, &vt)
	}
	return &vt, true
}

// sign records, signs, sends and counts our vote. The record goes into
// Ready.Persist ahead of the vote in Ready.Messages: the driver makes it
// durable before sending (persist before send).
func (e *Engine) sign(v *view, k Kind, id block.ID) {
	if !e.broken.noSafety {
		switch {
		case k == Notarize && (v.notarized || v.nullified),
			k == Nullify && v.finalized,
			k == Nullify && id != v.reportOf(),
			k == Finalize && v.nullified:
			panic(fmt.Sprintf("bft: refusing to sign %s in view %d against our own record", k, v.n))
		}
	}
	if p := e.rd.Propose; p != nil && p.View == v.n && k != Finalize {
		e.rd.Propose = nil // we voted in the view before the driver saw the request
	}
	var rk RecordKind
	switch k {
	case Notarize:
		rk, v.notarized, v.myNotarize = RecNotarized, true, id
	case Nullify:
		rk, v.nullified, v.myReport = RecNullified, true, id
	case Finalize:
		rk, v.finalized, v.myFinalize = RecFinalized, true, id
	}
	if !e.broken.skipPersist {
		e.rd.Persist = append(e.rd.Persist, Record{Kind: rk, View: v.n, Block: id})
	}
	vt := signWith(e.signer, e.cfg.ChainID, k, v.n, id, e.self)
	e.rd.Messages = append(e.rd.Messages, Message{Vote: &vt})
	if err := e.checkFresh(v, &vt); err == nil && e.wants(v, &vt) {
		e.count(v, &vt)
	}
}
