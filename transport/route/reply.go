package route

import "time"

// Reverse-path replies: an answer to a unicast message goes back along the
// path the message came, so a destination can answer an origin that is not
// routable (a full node submitting a transaction to the leader). Each node
// on the path remembers, for a bounded time and count, which neighbour
// the message came from; the answer, signed by the destination, follows
// those entries hop by hop and consumes them.

// pathKey names a message by its authenticated origin and sequence number.
type pathKey struct {
	origin NodeID
	seq    uint64
}

// revPath is what a node remembers of a unicast message of a reply class
// that it originated, relayed or received.
//
// Invariant: dest is the message's only destination; prev is the
// neighbour it came from, or our own id if we originated it.
type revPath struct {
	prev    NodeID
	dest    NodeID
	class   Class
	expires time.Time
	gen     uint64 // matches its pathFIFO entry
}

// pathFIFO orders the entries by creation, so the oldest go first when
// the table is full or their time runs out.
type pathFIFO struct {
	key pathKey
	gen uint64
}

// remember records m's previous hop if m is a unicast message of a class
// that expects replies (Config.ReplyClasses).
func (r *Router) remember(now time.Time, from NodeID, m *Data) {
	if !r.replyClass[m.Class] || len(m.Dests) != 1 {
		return
	}
	r.expirePaths(now)
	if len(r.paths) >= r.cfg.MaxReplyPaths {
		r.evictPath()
	}
	r.pathGen++
	k := pathKey{m.Origin, m.Seq}
	r.paths[k] = &revPath{prev: from, dest: m.Dests[0], class: m.Class, expires: now.Add(r.cfg.ReplyTTL), gen: r.pathGen}
	r.pathFIFO = append(r.pathFIFO, pathFIFO{k, r.pathGen})
	if len(r.pathFIFO) > 2*r.cfg.MaxReplyPaths {
		r.compactPaths()
	}
}

// path returns the live entry for (origin, seq).
func (r *Router) path(now time.Time, origin NodeID, seq uint64) *revPath {
	p := r.paths[pathKey{origin, seq}]
	if p == nil || !now.Before(p.expires) {
		return nil
	}
	return p
}

// evictPath drops the oldest live entry (the table is full: a flood of
// messages can only make old entries go early, never grow memory).
func (r *Router) evictPath() {
	for len(r.pathFIFO) > 0 {
		f := r.pathFIFO[0]
		r.pathFIFO = r.pathFIFO[1:]
		if p := r.paths[f.key]; p != nil && p.gen == f.gen {
			delete(r.paths, f.key)
			r.stats.ReplyPathsEvicted++
			return
		}
	}
}

// expirePaths drops entries whose time ran out, oldest first.
func (r *Router) expirePaths(now time.Time) {
	for len(r.pathFIFO) > 0 {
		f := r.pathFIFO[0]
		p := r.paths[f.key]
		if p != nil && p.gen == f.gen {
			if now.Before(p.expires) {
				return
			}
			delete(r.paths, f.key)
		}
		r.pathFIFO = r.pathFIFO[1:]
	}
}

// compactPaths removes FIFO entries of consumed paths.
func (r *Router) compactPaths() {
	out := r.pathFIFO[:0]
	for _, f := range r.pathFIFO {
		if p := r.paths[f.key]; p != nil && p.gen == f.gen {
			out = append(out, f)
		}
	}
	r.pathFIFO = out
}

// Reply answers a unicast message delivered to us (origin and seq from its
// Delivery) along the reverse of the path it came by. The payload is
// signed by us; the origin gets it as a ReplyDelivery. It fails with an
// *Error (ReasonNoReversePath) when the message was not delivered to us,
// its class expects no replies, it was answered already, or the entry
// expired (Config.ReplyTTL) or was evicted (Config.MaxReplyPaths).
func (r *Router) Reply(now time.Time, origin NodeID, seq uint64, class Class, payload []byte) error {
	if len(payload) > r.cfg.Limits.MaxPayload {
		return ErrPayloadTooLarge
	}
	p := r.path(now, origin, seq)
	if p == nil || p.dest != r.self || p.class != class {
		return fault(ReasonNoReversePath, "no delivered class %d message %d from %s to answer", class, seq, origin)
	}
	delete(r.paths, pathKey{origin, seq})
	m := &Reply{Class: class, HopLimit: r.cfg.HopLimit, Replier: r.self, To: origin, Seq: seq,
		Payload: append([]byte(nil), payload...)}
	if p.prev != origin {
		// Relays will check it. Straight to the origin it needs no
		// signature: the origin, whose entry says it sent the message,
		// takes the reply from us over the authenticated link unchecked.
		signReply(r.cfg.Key, m)
	}
	r.stats.RepliesSent++
	r.send(p.prev, LaneFor(class), m)
	return nil
}

// handleReply checks a reply from a neighbour and forwards it to the
// previous hop of the message it answers, or delivers it if we sent that
// message. A reply with no entry is dropped with ReasonNoReversePath (the
// entry expired, or the reply is a duplicate or a forgery of an unknown
// message): never silent, never forwarded.
func (r *Router) handleReply(now time.Time, from NodeID, m *Reply) {
	drop := func(reason Reason) {
		r.drop(Drop{From: from, Origin: m.Replier, Dest: m.To, Seq: m.Seq, Class: m.Class, Reason: reason})
	}
	if m.Replier == r.self {
		drop(ReasonLoop)
		return
	}
	p := r.path(now, m.To, m.Seq)
	if p == nil {
		drop(ReasonNoReversePath)
		return
	}
	// As for data (mustVerify): a reply from the replier itself over its
	// authenticated link, ending here, is not checked; one we forward, or
	// that a relay hands us, is.
	if from != m.Replier || p.prev != r.self {
		r.stats.Verifications++
		if !m.sig.valid(func() bool { return verifyReply(m) }) {
			r.penalize(from, fault(ReasonBadSignature, "reply to %d of %s from replier %s", m.Seq, m.To, m.Replier))
			return
		}
	}
	if p.dest != m.Replier || p.class != m.Class {
		// Signed by a node the message was not for: keep the entry for
		// the destination's own answer.
		drop(ReasonNoReversePath)
		return
	}
	if p.prev != r.self && m.HopLimit <= 1 {
		drop(ReasonHopLimit)
		return
	}
	delete(r.paths, pathKey{m.To, m.Seq})
	if p.prev == r.self {
		r.stats.RepliesDelivered++
		r.rd.Replies = append(r.rd.Replies, ReplyDelivery{Replier: m.Replier, Class: m.Class, Seq: m.Seq, Payload: m.Payload})
		return
	}
	c := *m
	c.HopLimit--
	r.stats.RepliesForwarded++
	r.send(p.prev, LaneFor(m.Class), &c)
}
