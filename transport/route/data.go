package route

import (
	"time"
)

// Send originates a unicast message to dest and returns its sequence
// number. With no route the message waits in dest's queue (Config.QueueTTL,
// QueueBytes, QueueMessages) and the next Ready reports a SendError if it
// expires; a full queue fails at once with ReasonQueueFull.
func (r *Router) Send(now time.Time, dest NodeID, class Class, payload []byte) (uint64, error) {
	return r.Multicast(now, []NodeID{dest}, class, payload)
}

// Multicast originates one message to a set of destinations (the
// producers): one copy per next hop carries the subset that hop serves, and
// relays split it again, so a shared link carries one copy. It returns the
// sequence number; undeliverable destinations are reported as for Send.
// A destination that is us is delivered locally.
func (r *Router) Multicast(now time.Time, dests []NodeID, class Class, payload []byte) (uint64, error) {
	o, err := r.Prepare(now, dests, class, payload)
	if err != nil {
		return 0, err
	}
	// Signed lazily (forward): a copy going straight to its only remaining
	// destination needs no signature (mustVerify), so the common
	// submit-to-a-neighbour costs no signing at all.
	return r.SendPrepared(now, o), nil
}

// seqTime is the send time (ms since the epoch) a sequence number carries:
// an origin's seq is max(last+1, now_ms<<16), so it grows across restarts
// and receivers can refuse old replays without keeping state for ever.
func seqTime(seq uint64) int64 { return int64(seq >> 16) }

// handleData checks a data message from a neighbour (cheap checks first,
// then the signature, then the class's validator) and dispatches it.
func (r *Router) handleData(now time.Time, from NodeID, m *Data) {
	drop := func(reason Reason) {
		r.drop(Drop{From: from, Origin: m.Origin, Seq: m.Seq, Class: m.Class, Reason: reason})
	}
	if m.Origin == r.self {
		drop(ReasonLoop)
		return
	}
	ms := now.UnixMilli()
	if t := seqTime(m.Seq); t < ms-r.cfg.MaxAge.Milliseconds() || t > ms+r.cfg.MaxSkew.Milliseconds() {
		drop(ReasonStale)
		return
	}
	if r.mustVerify(from, m) {
		r.stats.Verifications++
		if !m.sig.valid(func() bool { return verifyData(m) }) {
			r.penalize(from, fault(ReasonBadSignature, "data %d from origin %s", m.Seq, m.Origin))
			return
		}
	}
	if !r.admitFlood(now, from, m) {
		return
	}
	r.validate(now, from, m)
}

// mustVerify reports whether m's signature must be checked here. It may
// be skipped only when the neighbour IS the origin (the link authenticated
// it, so the origin field is true) and m's remaining set is us alone, so
// we deliver it and never forward it: no later hop relies on our check,
// and a later hop would blame us, not the origin, for a bad signature. A
// relayed message (from != origin) is always checked, and so is one we
// must forward or queue, before anyone else sees it (doc.go, "Signature
// checks").
func (r *Router) mustVerify(from NodeID, m *Data) bool { return mustVerifyData(r.self, from, m) }

// mustVerifyData is mustVerify for node self: a function of the message
// and the two ids only, so Check can apply it outside the Router.
func mustVerifyData(self, from NodeID, m *Data) bool {
	if from != m.Origin {
		return true
	}
	for i, dst := range m.Dests {
		if m.has(i) && dst != self {
			return true
		}
	}
	return false
}

// validate runs the class's validator and acts on its verdict. A unicast
// message of a reply class (Config.ReplyClasses) addressed to us skips it:
// its consumer checks it and answers with the reason (Reply), which a
// relay cannot do, so relays validate and the destination explains.
func (r *Router) validate(now time.Time, from NodeID, m *Data) {
	v := Accept
	answersHere := r.replyClass[m.Class] && len(m.Dests) == 1 && m.Dests[0] == r.self
	if fn := r.validators[m.Class]; fn != nil && !answersHere {
		v = fn(m.Origin, m.Class, m.Payload)
	}
	switch v {
	case Accept:
		r.dispatch(now, from, m)
	case Ignore:
		r.drop(Drop{From: from, Origin: m.Origin, Seq: m.Seq, Class: m.Class, Reason: ReasonIgnored})
	case Reject:
		r.penalize(from, fault(ReasonRejected, "class %d data %d from origin %s", m.Class, m.Seq, m.Origin))
	case Defer:
		r.deferMsg(now, from, m)
	}
}

// dispatch delivers our part of m and forwards the rest, one copy per next
// hop carrying the destinations it serves; destinations without a route
// are queued.
func (r *Router) dispatch(now time.Time, from NodeID, m *Data) {
	r.remember(now, from, m)
	var dsts []int
	for i, dst := range m.Dests {
		if !m.has(i) {
			continue
		}
		switch {
		case dst == r.self:
			r.deliver(now, from, m)
		case m.Origin != r.self && m.HopLimit <= 1:
			r.drop(Drop{From: from, Origin: m.Origin, Dest: dst, Seq: m.Seq, Class: m.Class, Reason: ReasonHopLimit})
		default:
			if _, ok := r.NextHop(dst); ok {
				dsts = append(dsts, i)
			} else {
				r.enqueue(now, from, m, i)
			}
		}
	}
	for _, g := range r.groups(m, dsts) {
		r.forward(from, m, g.to, g.bits)
	}
}

// group is one copy of a data message: its next hop and the destinations
// it serves.
type group struct {
	to   NodeID
	bits []byte
}

// groups splits destinations (indices into m.Dests, each with a route) by
// next hop. Each destination may go through any neighbour with a feasible
// route within Config.MulticastSlack of the selected one; the fewest
// copies are found greedily (the neighbour serving most destinations
// first). Without this, two destinations whose selected routes differ only
// by hysteresis noise split here and may merge again downstream, putting
// two copies on one link. Forwarding along any feasible route is as
// loop-free as along the selected one: each hop's feasibility distance is
// strictly below the previous hop's.
func (r *Router) groups(m *Data, dsts []int) []group {
	if len(dsts) == 1 {
		nh, _ := r.NextHop(m.Dests[dsts[0]])
		g := group{to: nh, bits: make([]byte, len(m.Remaining))}
		g.bits[dsts[0]/8] |= 1 << (dsts[0] % 8)
		return []group{g}
	}
	ok := make(map[NodeID][]int) // neighbour -> destinations it may serve
	for _, i := range dsts {
		for _, nh := range r.acceptable(m.Dests[i]) {
			ok[nh] = append(ok[nh], i)
		}
	}
	done := make(map[int]bool, len(dsts))
	var out []group
	for len(done) < len(dsts) {
		var best NodeID
		n := 0
		for _, nh := range r.neighOrder {
			c := 0
			for _, i := range ok[nh] {
				if !done[i] {
					c++
				}
			}
			if c > n {
				best, n = nh, c
			}
		}
		g := group{to: best, bits: make([]byte, len(m.Remaining))}
		for _, i := range ok[best] {
			if !done[i] {
				done[i] = true
				g.bits[i/8] |= 1 << (i % 8)
			}
		}
		out = append(out, g)
	}
	return out
}

// acceptable lists the neighbours that may carry a multicast copy to dst:
// the selected next hop and every neighbour with a usable (feasible, up)
// route within Config.MulticastSlack of the selected metric.
func (r *Router) acceptable(dst NodeID) []NodeID {
	d := r.dests[dst]
	out := []NodeID{d.sel.peer}
	limit := uint32(d.selM) + max(uint32(d.selM)*uint32(r.cfg.MulticastSlack)/100, uint32(r.cfg.SwitchMin))
	for _, id := range r.neighOrder {
		if rt := d.routes[id]; rt != nil && rt != d.sel {
			if m, ok := r.usable(d, rt); ok && uint32(m) <= limit {
				out = append(out, id)
			}
		}
	}
	return out
}

// forward sends a copy of m serving the destinations in bits to next hop
// to. Copies share Dests and Payload (immutable once signed).
func (r *Router) forward(from NodeID, m *Data, to NodeID, bits []byte) {
	if m.Origin == r.self && m.Sig == ([sigLen]byte{}) && !onlyDest(m, bits, to) {
		// Ours, not yet signed (an all-zero signature is what Multicast
		// leaves; a real one is never all zero in practice, and if it were
		// we would merely sign twice), and this copy has later hops.
		signData(r.cfg.Key, m)
	}
	c := *m
	c.Remaining = bits
	if m.Origin != r.self || from != r.self {
		c.HopLimit = m.HopLimit - 1
	}
	if from != r.self {
		r.stats.DataForwarded++
	}
	r.send(to, LaneFor(m.Class), &c)
}

// deliver hands m to us unless its (origin, seq) was seen: the per-origin
// replay window.
func (r *Router) deliver(now time.Time, from NodeID, m *Data) {
	if m.Origin != r.self {
		if reason, ok := r.admitSeq(now, m.Origin, m.Seq); !ok {
			r.drop(Drop{From: from, Origin: m.Origin, Dest: r.self, Seq: m.Seq, Class: m.Class, Reason: reason})
			return
		}
	}
	r.stats.Delivered++
	r.rd.Delivered = append(r.rd.Delivered, Delivery{Origin: m.Origin, Class: m.Class, Seq: m.Seq, Payload: m.Payload})
}

// onlyDest reports whether the copy of m carrying bits serves exactly one
// destination and that destination is the next hop to: the receiver
// delivers it and never forwards it, so it skips the signature check
// (mustVerify) and the origin may leave the copy unsigned.
func onlyDest(m *Data, bits []byte, to NodeID) bool {
	n := 0
	for i, dst := range m.Dests {
		if bits[i/8]&(1<<(i%8)) != 0 {
			if n++; n > 1 || dst != to {
				return false
			}
		}
	}
	return n == 1
}
