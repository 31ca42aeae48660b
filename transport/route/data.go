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
	if len(dests) == 0 || len(dests) > r.cfg.Limits.MaxDests {
		return 0, ErrNoDestinations
	}
	if len(payload) > r.cfg.Limits.MaxPayload {
		return 0, ErrPayloadTooLarge
	}
	r.dataSeq = max(r.dataSeq+1, uint64(now.UnixMilli())<<16)
	m := &Data{Class: class, HopLimit: r.cfg.HopLimit, Origin: r.self, Seq: r.dataSeq,
		Dests: append([]NodeID(nil), dests...), Remaining: make([]byte, bitmapLen(len(dests))),
		Payload: append([]byte(nil), payload...)}
	for i := range dests {
		m.Remaining[i/8] |= 1 << (i % 8)
	}
	signData(r.cfg.Key, m)
	r.stats.DataSent++
	r.dispatch(now, r.self, m)
	return m.Seq, nil
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
	r.stats.Verifications++
	if !verifyData(m) {
		r.penalize(from, fault(ReasonBadSignature, "data %d from origin %s", m.Seq, m.Origin))
		return
	}
	r.validate(now, from, m)
}

// validate runs the class's validator and acts on its verdict.
func (r *Router) validate(now time.Time, from NodeID, m *Data) {
	v := Accept
	if fn := r.validators[m.Class]; fn != nil {
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
	type group struct {
		to   NodeID
		bits []byte
	}
	var groups []group
	for i, dst := range m.Dests {
		if !m.has(i) {
			continue
		}
		if dst == r.self {
			r.deliver(now, from, m)
			continue
		}
		if m.Origin != r.self && m.HopLimit <= 1 {
			r.drop(Drop{From: from, Origin: m.Origin, Dest: dst, Seq: m.Seq, Class: m.Class, Reason: ReasonHopLimit})
			continue
		}
		nh, ok := r.NextHop(dst)
		if !ok {
			r.enqueue(now, from, m, i)
			continue
		}
		gi := -1
		for j := range groups {
			if groups[j].to == nh {
				gi = j
			}
		}
		if gi < 0 {
			groups = append(groups, group{to: nh, bits: make([]byte, len(m.Remaining))})
			gi = len(groups) - 1
		}
		groups[gi].bits[i/8] |= 1 << (i % 8)
	}
	for _, g := range groups {
		r.forward(from, m, g.to, g.bits)
	}
}

// forward sends a copy of m serving the destinations in bits to next hop
// to. Copies share Dests and Payload (immutable once signed).
func (r *Router) forward(from NodeID, m *Data, to NodeID, bits []byte) {
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
