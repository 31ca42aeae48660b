package route

import (
	"crypto/ed25519"
	"errors"
	"time"
)

// The ed25519 work of the data plane can run outside the Router, so that
// a driver which serialises the Router behind a lock (transport.Transport)
// does not hold that lock through a signature operation. Measured cause
// (docs/benchmarks.md, issue 13): on a CPU-starved host the goroutine that
// held the transport's lock was descheduled in the middle of a verify or a
// sign, and every other input waited behind it — hellos (so links looked
// slow or dead), raft RPCs and ticks — until seven producers on a ring lost
// their leader every few seconds.
//
// Both halves keep the Router the only judge:
//
//   - Check decodes a frame and verifies a Data or Reply signature that
//     the receiver must check (mustVerifyData; for a reply, unless it comes
//     from its replier and ends here). The verdict rides in an unexported
//     field that only this package sets, so a driver cannot mark a message
//     checked; the Router consumes it once (a forwarded copy carries none)
//     and verifies itself whatever Check did not.
//   - Prepare builds our own message under the lock, Sign signs it outside
//     it, SendPrepared dispatches it. An unsigned prepared message is
//     signed lazily by forward, as before, if a copy needs it.

// sigCheck is a signature verdict computed outside the Router.
type sigCheck uint8

const (
	sigUnchecked sigCheck = iota
	sigGood
	sigBad
)

// valid returns the verdict Check left, or runs verify when there is none,
// and clears it: a verdict is used once, by the Router that received the
// message, never by a copy it forwards.
func (s *sigCheck) valid(verify func() bool) bool {
	v := *s
	*s = sigUnchecked
	switch v {
	case sigGood:
		return true
	case sigBad:
		return false
	}
	return verify()
}

func verdict(ok bool) sigCheck {
	if ok {
		return sigGood
	}
	return sigBad
}

// Checked is a frame decoded (and, where needed, verified) by Check, for
// Router.StepChecked.
type Checked struct {
	msg Msg
	err error
}

// Check decodes frame, received by self from neighbour from, and verifies
// the signature of a Data or Reply message the receiver must check. It
// reads no Router state and is safe for concurrent use: a driver calls it
// before taking the lock that serialises its Router. lim must be the
// Router's Config.Limits.
func Check(self, from NodeID, lim Limits, frame []byte) Checked {
	m, err := Decode(frame, lim)
	if err != nil {
		return Checked{err: err}
	}
	switch m := m.(type) {
	case *Data:
		if m.Origin != self && mustVerifyData(self, from, m) {
			m.sig = verdict(verifyData(m))
		}
	case *Reply:
		if m.Replier != self && (from != m.Replier || m.To != self) {
			m.sig = verdict(verifyReply(m))
		}
	}
	return Checked{msg: m}
}

// StepChecked is Receive for a frame Check already decoded: a decoding
// error costs the neighbour score, as in Receive.
func (r *Router) StepChecked(now time.Time, from NodeID, c Checked) error {
	if c.err != nil {
		var e *Error
		if !errors.As(c.err, &e) {
			e = &Error{Reason: ReasonMalformed, Detail: c.err.Error()}
		}
		r.penalize(from, e)
		return e
	}
	return r.Step(now, from, c.msg)
}

// Prepared is one of our messages between Prepare and SendPrepared.
type Prepared struct {
	m *Data
	// Relayed: some destination is not a neighbour whose link is up, so
	// the message will be relayed and must be signed (Sign).
	Relayed bool
}

// Prepare builds a message to dests (Multicast's checks and sequence
// number) without signing or sending it.
func (r *Router) Prepare(now time.Time, dests []NodeID, class Class, payload []byte) (*Prepared, error) {
	if len(dests) == 0 || len(dests) > r.cfg.Limits.MaxDests {
		return nil, ErrNoDestinations
	}
	if len(payload) > r.cfg.Limits.MaxPayload {
		return nil, ErrPayloadTooLarge
	}
	r.dataSeq = max(r.dataSeq+1, uint64(now.UnixMilli())<<16)
	m := &Data{Class: class, HopLimit: r.cfg.HopLimit, Origin: r.self, Seq: r.dataSeq,
		Dests: append([]NodeID(nil), dests...), Remaining: make([]byte, bitmapLen(len(dests))),
		Payload: append([]byte(nil), payload...)}
	p := &Prepared{m: m}
	for i, d := range dests {
		m.Remaining[i/8] |= 1 << (i % 8)
		if n := r.neigh[d]; d != r.self && (n == nil || !n.up) {
			p.Relayed = true
		}
	}
	return p, nil
}

// Sign signs p with key (the Router's Config.Key) when it will be relayed.
// It reads no Router state: call it outside the driver's lock.
func (p *Prepared) Sign(key ed25519.PrivateKey) {
	if p.Relayed {
		signData(key, p.m)
	}
}

// SendPrepared dispatches p and returns its sequence number. A copy that
// turns out to need a signature Sign did not add is signed here (forward).
func (r *Router) SendPrepared(now time.Time, p *Prepared) uint64 {
	r.stats.DataSent++
	r.dispatch(now, r.self, p.m)
	return p.m.Seq
}
