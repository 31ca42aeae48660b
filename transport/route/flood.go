package route

import (
	"bytes"
	"fmt"
	"time"
)

// Per-origin flood limits at relays. A relay forwards other origins'
// messages at its own cost (bandwidth, and an ed25519 verification each),
// so one origin, however authentic, must not be able to make a relay
// carry without bound. Each (origin, class, unicast|multicast) gets a
// token bucket (Config.FloodUnicast, Config.FloodMulticast). It is charged
// after the signature check, so a forger cannot drain an honest origin's
// bucket, and only for messages this node would forward (a message that
// ends here is the consumer's business: its handler and the link's own
// rate limits bound it). A message over the limit is dropped with
// ReasonOriginFlood; when the neighbour that handed it over IS the origin,
// the neighbour is penalized once per flooding episode (the first drop
// after a conforming message), not once per message. A relay that merely
// passes on someone else's flood is not charged: it may be honest, and it
// too drops what exceeds its own buckets.

// FloodLimit is a token bucket: Rate messages per second, bursts of Burst.
// Rate 0 turns the limit off.
type FloodLimit struct {
	Rate  float64
	Burst int
}

func (l FloodLimit) validate(field string) error {
	if l.Rate < 0 || l.Burst < 0 || (l.Rate > 0 && l.Burst < 1) {
		return fmt.Errorf("route: Config.%s %+v: Rate and Burst must not be negative, and Burst ≥ 1 when Rate > 0", field, l)
	}
	return nil
}

// floodKey names one bucket.
type floodKey struct {
	origin    NodeID
	class     Class
	multicast bool
}

// bucket is one token bucket. Invariant: 0 ≤ tokens ≤ Burst.
type bucket struct {
	tokens   float64
	last     time.Time
	flooding bool // the last message was dropped (penalize once per episode)
}

// admitFlood charges m to its origin's bucket if we would relay it, and
// reports whether it may go on.
func (r *Router) admitFlood(now time.Time, from NodeID, m *Data) bool {
	multicast := len(m.Dests) > 1
	lim := r.cfg.FloodUnicast
	if multicast {
		lim = r.cfg.FloodMulticast
	}
	if lim.Rate <= 0 || !r.relays(m) {
		return true
	}
	k := floodKey{m.Origin, m.Class, multicast}
	b := r.floods[k]
	if b == nil {
		if r.floods == nil {
			r.floods = map[floodKey]*bucket{}
		}
		r.evictFloods(now)
		b = &bucket{tokens: float64(lim.Burst), last: now}
		r.floods[k] = b
	}
	b.refill(now, lim)
	if b.tokens >= 1 {
		b.tokens--
		b.flooding = false
		return true
	}
	if !b.flooding && from == m.Origin {
		// The penalty records this drop (as for a bad signature).
		r.penalize(from, fault(ReasonOriginFlood, "origin %s class %d over %.0f/s (burst %d)", m.Origin, m.Class, lim.Rate, lim.Burst))
	} else {
		r.drop(Drop{From: from, Origin: m.Origin, Seq: m.Seq, Class: m.Class, Reason: ReasonOriginFlood})
	}
	b.flooding = true
	return false
}

// relays reports whether m has a remaining destination other than us.
func (r *Router) relays(m *Data) bool {
	for i, d := range m.Dests {
		if m.has(i) && d != r.self {
			return true
		}
	}
	return false
}

func (b *bucket) refill(now time.Time, lim FloodLimit) {
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(float64(lim.Burst), b.tokens+dt.Seconds()*lim.Rate)
		b.last = now
	}
}

// evictFloods makes room for a new bucket when Config.MaxOrigins are
// held: full (idle) buckets go first, then the least recently charged
// (ties by key), so memory stays bounded and the choice deterministic.
func (r *Router) evictFloods(now time.Time) {
	if len(r.floods) < r.cfg.MaxOrigins {
		return
	}
	for k, b := range r.floods {
		lim := r.cfg.FloodUnicast
		if k.multicast {
			lim = r.cfg.FloodMulticast
		}
		b.refill(now, lim)
		if b.tokens >= float64(lim.Burst) {
			delete(r.floods, k)
		}
	}
	if len(r.floods) < r.cfg.MaxOrigins {
		return
	}
	var oldest floodKey
	var ob *bucket
	for k, b := range r.floods {
		if ob == nil || b.last.Before(ob.last) || b.last.Equal(ob.last) && keyLess(k, oldest) {
			oldest, ob = k, b
		}
	}
	delete(r.floods, oldest)
}

func keyLess(a, b floodKey) bool {
	if c := bytes.Compare(a.origin[:], b.origin[:]); c != 0 {
		return c < 0
	}
	if a.class != b.class {
		return a.class < b.class
	}
	return !a.multicast && b.multicast
}
