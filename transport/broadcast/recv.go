package broadcast

import (
	"errors"
	"time"
)

// Receive decodes a frame from a direct peer and steps it. A frame that
// fails to decode penalizes the peer (in Ready) and is returned as the
// error; so is a frame from a peer we have no link to.
func (e *Engine) Receive(now time.Time, from NodeID, data []byte) error {
	f, err := Decode(data, e.cfg.Limits)
	if err != nil {
		e.stats.Invalid++
		var pe *Error
		if errors.As(err, &pe) {
			e.penalize(from, pe)
		}
		return err
	}
	return e.Step(now, from, f)
}

// ReceiveRouted steps a message the routing layer delivered (its payload
// was a Push of ScopeRouted). from is route's authenticated origin; the
// message is validated, cached and delivered, never relayed.
func (e *Engine) ReceiveRouted(now time.Time, from NodeID, data []byte) error {
	f, err := Decode(data, e.cfg.Limits)
	if err == nil {
		if p, ok := f.(*Push); !ok || p.Scope != ScopeRouted || p.Reply {
			err = fault(ReasonMalformed, "routed frame is not a routed push")
		}
	}
	if err != nil {
		e.stats.Invalid++
		var pe *Error
		if errors.As(err, &pe) {
			e.penalize(from, pe)
		}
		return err
	}
	e.handlePush(now, from, f.(*Push))
	e.checkInvariants()
	return nil
}

// Step handles one decoded frame from a direct peer.
func (e *Engine) Step(now time.Time, from NodeID, f Frame) error {
	if !e.links[from] {
		e.drop(ReasonUnknownLink)
		return fault(ReasonUnknownLink, "frame from %s", from)
	}
	switch f := f.(type) {
	case *Push:
		if f.Scope == ScopeRouted {
			e.penalize(from, fault(ReasonMalformed, "routed push on a link"))
			break
		}
		e.handlePush(now, from, f)
	case *IHave:
		e.handleIHave(now, from, f)
	case *Prune:
		e.trees.prune(now, f.Origin, from)
	case *Pull:
		e.handlePull(now, from, f)
	case *Missing:
		e.handleMissing(now, from, f)
	}
	e.checkInvariants()
	return nil
}

func (e *Engine) drop(r Reason) { e.stats.Drops[r]++ }

func (e *Engine) penalize(peer NodeID, err *Error) {
	e.drop(err.Reason)
	e.rd.Penalties = append(e.rd.Penalties, Penalty{Peer: peer, Err: err})
}

// handlePush runs the receive pipeline, cheapest checks first (geth's
// "cheap before ecrecover"): topic and size, reply bookkeeping, the
// seen-set, age, the signature, then the validator.
func (e *Engine) handlePush(now time.Time, from NodeID, p *Push) {
	m := p.Msg
	tc, ok := e.cfg.Topics[m.Topic]
	if !ok {
		e.drop(ReasonUnknownTopic)
		return
	}
	if len(m.Payload) > tc.MaxSize {
		e.penalize(from, fault(ReasonOversized, "topic %d payload %d bytes above %d", m.Topic, len(m.Payload), tc.MaxSize))
		return
	}
	d := m.Digest()
	if p.Reply {
		if !e.fetch.takeRequest(from, d) {
			e.penalize(from, fault(ReasonUnsolicited, "reply %s was not asked for", d))
			return
		}
	}
	if s := e.seen.get(d); s != nil {
		e.handleDuplicate(now, from, p, s)
		return
	}
	if m.Origin == e.id {
		e.drop(ReasonSelfOrigin) // ours from before a restart: not a fault
		return
	}
	if t := seqTime(m.Seq); t < now.Add(-e.cfg.MaxAge).UnixMilli() || t > now.Add(e.cfg.MaxSkew).UnixMilli() {
		e.drop(ReasonStale)
		return
	}
	if !m.Verify() {
		e.penalize(from, fault(ReasonBadSignature, "message %s from origin %s", d, m.Origin))
		return
	}
	e.judge(now, from, p.Scope, m, tc.Validator)
}

// judge runs the topic's validator once for a message and acts on it.
func (e *Engine) judge(now time.Time, from NodeID, scope Scope, m *Message, v Validator) {
	verdict := Accept
	if v != nil {
		verdict = v(m.Origin, m.Topic, m.Payload)
	}
	d := m.Digest()
	switch verdict {
	case Accept:
		e.accept(now, from, scope, m)
	case Ignore:
		e.seen.add(now, d, stIgnored)
		e.fetch.done(d)
		e.drop(ReasonIgnored)
	case Reject:
		e.seen.add(now, d, stRejected)
		e.fetch.done(d)
		e.penalize(from, fault(ReasonRejected, "topic %d message %s from origin %s", m.Topic, d, m.Origin))
	case Defer:
		e.fetch.done(d)
		if len(e.deferred.items) >= e.cfg.MaxDeferred || e.deferred.bytes+m.Size() > e.cfg.DeferBytes {
			e.drop(ReasonDeferFull) // not remembered: a later copy may find room
			return
		}
		e.seen.add(now, d, stDeferred)
		e.deferred.push(deferred{from: from, scope: scope, msg: m, at: now})
		e.stats.Deferred++
	}
}

// Revalidate runs the validators again on every deferred message, in
// arrival order (call it when a dependency arrives: a block, an epoch).
func (e *Engine) Revalidate(now time.Time) {
	for _, it := range e.deferred.take() {
		delete(e.seen.entries, it.msg.Digest()) // its record goes stale; judge re-adds it
		e.judge(now, it.from, it.scope, it.msg, e.cfg.Topics[it.msg.Topic].Validator)
	}
	e.checkInvariants()
}

// accept caches, wakes waiters, delivers and (network scope) forwards.
func (e *Engine) accept(now time.Time, from NodeID, scope Scope, m *Message) {
	d := m.Digest()
	e.seen.add(now, d, stAccepted)
	e.store(from, m)
	e.answer(d, m)
	e.fetch.done(d)
	e.stats.Delivered++
	e.rd.Delivered = append(e.rd.Delivered, Delivery{From: from, Msg: m})
	if scope == ScopeNetwork {
		e.forward(now, from, m)
	}
}

// store buffers m under peer and counts the outcome (seed 001's metrics).
func (e *Engine) store(peer NodeID, m *Message) {
	switch e.cache.insert(peer, m) {
	case inserted:
		e.stats.Received++
	case ineligible:
		e.stats.Ineligible++
	case tooLarge:
		e.stats.Uncacheable++
	}
}

func (e *Engine) answer(d Digest, m *Message) {
	for _, id := range e.waiters.take(d) {
		e.rd.Answers = append(e.rd.Answers, Answer{Waiter: id, Msg: m})
		e.stats.SubscribeWait++
	}
}

// forward sends m's body to the links on the origin's tree and announces
// it on the others, never back to from or to the origin.
func (e *Engine) forward(now time.Time, from NodeID, m *Message) []NodeID {
	e.trees.get(now, m.Origin) // mark the origin recently used
	var sent []NodeID
	for _, p := range e.linkList {
		if p == from || p == m.Origin {
			continue
		}
		sent = append(sent, p)
		if e.trees.eager(m.Origin, p) {
			e.push(p, &Push{Scope: ScopeNetwork, Msg: m})
			continue
		}
		e.ihave[p] = append(e.ihave[p], Announce{Origin: m.Origin, Digest: m.Digest()})
		e.stats.Announced++
	}
	return sent
}

func (e *Engine) push(to NodeID, p *Push) {
	e.rd.Messages = append(e.rd.Messages, Outgoing{To: to, Lane: LaneBulk, Frame: p})
	e.stats.Pushed++
}

// handleDuplicate: a copy of a message we have seen. It refreshes the
// seen-set, counts in the sender's deque (seed 001: a message sent by two
// peers is held by both), and an eager push prunes the link for the
// origin both ways (Plumtree): the first copy's path stays the tree.
func (e *Engine) handleDuplicate(now time.Time, from NodeID, p *Push, s *seenEntry) {
	e.stats.Duplicates++
	d := p.Msg.Digest()
	e.seen.touch(now, d)
	switch s.state {
	case stRejected:
		e.penalize(from, fault(ReasonRejected, "message %s was rejected before", d))
		return
	case stAccepted:
		// The cached copy is the one we verified; a copy that is not
		// cached (evicted, or its first sender was ineligible) is verified
		// before we keep it and serve it on: the digest names the content,
		// not the signature, and a bad one must not go out in our name.
		if m := e.cache.get(d); m != nil {
			e.store(from, m)
		} else if p.Msg.Verify() {
			e.store(from, p.Msg)
		}
	}
	if p.Scope == ScopeNetwork && !p.Reply && e.links[from] {
		e.trees.setLazy(now, p.Msg.Origin, from)
		e.rd.Messages = append(e.rd.Messages, Outgoing{To: from, Lane: LaneControl, Frame: &Prune{Origin: p.Msg.Origin}})
		e.stats.PrunesSent++
	}
}
