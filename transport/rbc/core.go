package rbc

import (
	"bytes"
	"crypto/ed25519"
	"time"
)

// Core is the reliable-broadcast state machine of one participant, for
// every instance of every origin in its participant set. It is pure and
// not safe for concurrent use: the driver feeds it from one goroutine and
// performs its Ready batches (see the package doc).
type Core struct {
	cfg      Config
	set      *Participants
	self     int
	signer   Signer
	verifier Verifier

	insts map[Instance]*instance
	// open counts, per peer, the instances it opened that we still hold.
	open []int
	// floor is, per origin, the highest seq garbage-collected.
	floor   []uint64
	nextSeq uint64

	rd           Ready
	lastDeadline time.Time
	given        time.Time // Deadline of the last Ready
	cached       time.Time // deadline(), valid unless stale
	stale        bool
}

// New returns the core of cfg.Key's participant, restored from recs (every
// record the Store holds; nil on a first start). Restored instances resend
// our echo and ready at once (the first Ready's Deadline is now): a crash
// may have cut them off after they were persisted.
func New(cfg Config, recs []Record, now time.Time) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	self, _ := cfg.Set.Index(cfg.Key.Public().(ed25519.PublicKey))
	c := &Core{cfg: cfg, set: cfg.Set, self: self, signer: cfg.Signer, verifier: cfg.Verifier,
		insts: map[Instance]*instance{}, open: make([]int, cfg.Set.N()), floor: make([]uint64, cfg.Set.N()), nextSeq: 1}
	if c.signer == nil {
		c.signer = KeySigner{Key: cfg.Key}
	}
	if c.verifier == nil {
		c.verifier = Ed25519{}
	}
	// Floors first: an instance record at or below its origin's floor is
	// left over from a Forget lost in a crash and is skipped.
	for _, pass := range []bool{true, false} {
		for _, r := range recs {
			if (r.Kind == RecFloor) != pass {
				continue
			}
			if !pass && int(r.Inst.Origin) < c.set.N() && r.Inst.Seq <= c.floor[r.Inst.Origin] {
				continue
			}
			if err := c.restore(r, now); err != nil {
				return nil, err
			}
		}
	}
	c.nextSeq = max(c.nextSeq, c.floor[self]+1)
	c.touch()
	for _, in := range c.sorted() {
		if in.signed() {
			in.next = now
		}
		if in.delivered != nil {
			d := *in.delivered
			d.Replayed = true
			c.rd.Delivered = append(c.rd.Delivered, d)
		}
	}
	return c, nil
}

// restore folds one record into the state.
func (c *Core) restore(r Record, now time.Time) error {
	if int(r.Inst.Origin) >= c.set.N() {
		return refuse(ReasonNonMember, "record %s: origin outside the set", r)
	}
	if r.Kind == RecFloor {
		c.floor[r.Inst.Origin] = max(c.floor[r.Inst.Origin], r.Inst.Seq)
		return nil
	}
	in := c.insts[r.Inst]
	if in == nil {
		in = newInstance(r.Inst, c.set.N(), c.self, now)
		c.insts[r.Inst] = in
		c.open[c.self]++
	}
	if int(r.Inst.Origin) == c.self {
		c.nextSeq = max(c.nextSeq, r.Inst.Seq+1)
	}
	switch r.Kind {
	case RecEcho:
		v := vote{d: r.Digest, sig: c.sign(false, r.Inst, r.Digest)}
		in.myEcho = &v
		in.addEcho(c.self, v, r.Payload)
	case RecReady:
		v := vote{d: r.Digest, sig: c.sign(true, r.Inst, r.Digest)}
		in.myReady = &v
		in.addReady(c.self, v)
	case RecDelivered:
		in.delivered = &Delivery{Inst: r.Inst, Payload: r.Payload, Cert: r.Cert}
		in.payloads[r.Digest] = r.Payload
	default:
		return refuse(ReasonMalformed, "record kind %d", r.Kind)
	}
	return nil
}

// Self is our participant index.
func (c *Core) Self() int { return c.self }

// Set is the participant set.
func (c *Core) Set() *Participants { return c.set }

func (c *Core) sign(ready bool, inst Instance, d Digest) Sig {
	return c.signer.Sign(SignedBytes(ready, c.cfg.Domain, c.set, inst, d))
}

func (c *Core) verify(ready bool, signer int, inst Instance, d Digest, sig Sig) bool {
	return c.verifier.Verify(c.set.Key(signer), SignedBytes(ready, c.cfg.Domain, c.set, inst, d), sig)
}

// Broadcast starts an instance with us as origin and payload as its
// message: it validates the payload, signs our echo (Bracha's SEND) and
// emits it with its record. The payload is copied.
func (c *Core) Broadcast(payload []byte, now time.Time) (Instance, error) {
	if len(payload) > c.cfg.MaxPayload {
		return Instance{}, refuse(ReasonOversized, "payload of %d bytes, limit %d", len(payload), c.cfg.MaxPayload)
	}
	if c.open[c.self] >= c.cfg.MaxOpenPerPeer {
		return Instance{}, refuse(ReasonTooManyInstances, "%d open instances of ours", c.open[c.self])
	}
	inst := Instance{Origin: uint16(c.self), Seq: c.nextSeq}
	if c.cfg.ValidatePayload != nil {
		if err := c.cfg.ValidatePayload(inst, payload); err != nil {
			return Instance{}, refuse(ReasonInvalidPayload, "our own payload: %v", err)
		}
	}
	if c.insts[inst] != nil {
		return Instance{}, refuse(ReasonConflict, "instance %s exists", inst) // unreachable: nextSeq only grows
	}
	c.nextSeq++
	in := newInstance(inst, c.set.N(), c.self, now)
	c.insts[inst] = in
	c.open[c.self]++
	c.touch()
	c.echo(in, DigestOf(payload), payload, now)
	c.progress(in, now)
	return inst, nil
}

// Receive decodes a message from participant from (authenticated by the
// link: the driver maps the peer to its index) and steps it.
func (c *Core) Receive(from int, b []byte, now time.Time) error {
	m, err := DecodeMessage(b, c.cfg.MaxPayload)
	if err != nil {
		return err
	}
	return c.step(from, m, now)
}

// Step handles a decoded message from participant from. The returned
// error says why the message was refused (ReasonOf; Reason.Penalized says
// whether to score the sender). Payload is copied if kept.
func (c *Core) Step(from int, m Message, now time.Time) error {
	if m.Kind == KindEcho || m.Kind == KindCert {
		if len(m.Payload) > c.cfg.MaxPayload {
			return refuse(ReasonOversized, "payload of %d bytes, limit %d", len(m.Payload), c.cfg.MaxPayload)
		}
		m.Digest = DigestOf(m.Payload)
		if m.Kind == KindCert && (m.Cert == nil || m.Cert.Inst != m.Inst || m.Cert.Digest != m.Digest) {
			return refuse(ReasonMalformed, "%s: certificate for another instance or payload", m)
		}
	}
	return c.step(from, m, now)
}

func (c *Core) step(from int, m Message, now time.Time) error {
	switch {
	case from < 0 || from >= c.set.N():
		return refuse(ReasonNonMember, "sender %d", from)
	case from == c.self:
		return refuse(ReasonDuplicate, "%s from ourselves", m)
	case int(m.Inst.Origin) >= c.set.N():
		return refuse(ReasonNonMember, "%s: origin outside the set of %d", m, c.set.N())
	case m.Status > StatusDelivered:
		return refuse(ReasonMalformed, "%s: status", m)
	}
	if err := c.check(from, m); err != nil {
		return err
	}
	in, err := c.instance(from, m.Inst, now)
	if err != nil {
		return err
	}
	in.learn(from, m.Status)
	switch m.Kind {
	case KindEcho:
		err = c.handleEcho(in, m, now)
	case KindReady:
		err = c.handleReady(in, m)
	default:
		err = c.handleCert(in, m)
	}
	c.progress(in, now)
	c.answer(in, from, m, err, now)
	return err
}

// check authenticates a message before it may create any state: the signer
// is the sender (echo, ready) and the signatures verify.
func (c *Core) check(from int, m Message) error {
	switch m.Kind {
	case KindEcho, KindReady:
		if int(m.Signer) >= c.set.N() {
			return refuse(ReasonNonMember, "%s: signer outside the set", m)
		}
		if int(m.Signer) != from {
			return refuse(ReasonSignerMismatch, "%s delivered by %d", m, from)
		}
		if !c.verify(m.Kind == KindReady, from, m.Inst, m.Digest, m.Sig) {
			return refuse(ReasonBadSignature, "%s", m)
		}
		return nil
	case KindCert:
		if m.Cert == nil {
			return refuse(ReasonMalformed, "%s without certificate", m)
		}
		if in := c.insts[m.Inst]; in != nil && in.delivered != nil {
			return nil // verified when it matters only; handleCert refuses it as a duplicate
		}
		return m.Cert.Verify(c.cfg.Domain, c.set, c.verifier)
	}
	return refuse(ReasonMalformed, "message kind %d", m.Kind)
}

// instance returns the state of id, opening it (charged to from) if new.
func (c *Core) instance(from int, id Instance, now time.Time) (*instance, error) {
	if in := c.insts[id]; in != nil {
		return in, nil
	}
	if id.Seq <= c.floor[id.Origin] {
		return nil, refuse(ReasonStale, "instance %s at or below the collected floor %d", id, c.floor[id.Origin])
	}
	if c.open[from] >= c.cfg.MaxOpenPerPeer {
		return nil, refuse(ReasonTooManyInstances, "instance %s: peer %d has %d open", id, from, c.open[from])
	}
	in := newInstance(id, c.set.N(), from, now)
	c.insts[id] = in
	c.open[from]++
	c.touch()
	return in, nil
}

func (c *Core) handleEcho(in *instance, m Message, now time.Time) error {
	s := int(m.Signer)
	if prev, ok := in.echoes[s]; ok {
		if prev.d == m.Digest {
			return refuse(ReasonDuplicate, "%s", m)
		}
		return refuse(ReasonEquivocation, "%s: signer %d echoed %s before", m, s, prev.d)
	}
	in.addEcho(s, vote{d: m.Digest, sig: m.Sig}, m.Payload)
	if s != int(in.id.Origin) || in.myEcho != nil {
		return nil
	}
	// The origin's echo is its SEND: validate, then echo the same payload.
	if c.cfg.ValidatePayload != nil {
		if err := c.cfg.ValidatePayload(in.id, m.Payload); err != nil {
			return refuse(ReasonInvalidPayload, "%s: %v", m, err)
		}
	}
	c.echo(in, m.Digest, m.Payload, now)
	return nil
}

func (c *Core) handleReady(in *instance, m Message) error {
	s := int(m.Signer)
	if prev, ok := in.readies[s]; ok {
		if prev.d == m.Digest {
			return refuse(ReasonDuplicate, "%s", m)
		}
		return refuse(ReasonEquivocation, "%s: signer %d readied %s before", m, s, prev.d)
	}
	in.addReady(s, vote{d: m.Digest, sig: m.Sig})
	return nil
}

// handleCert absorbs a verified certificate's readies as if each signer
// had sent its own: 2f+1 of them make us ready (f+1 suffice) and deliver.
// A signer whose earlier ready named another digest equivocated; its
// signature is skipped, and the relay is not blamed (the certificate
// verified).
func (c *Core) handleCert(in *instance, m Message) error {
	if in.delivered != nil {
		return refuse(ReasonDuplicate, "%s: delivered already", m)
	}
	if _, ok := in.payloads[m.Digest]; !ok {
		in.payloads[m.Digest] = append([]byte(nil), m.Payload...)
	}
	for i, s := range m.Cert.Signers {
		if _, ok := in.readies[s]; !ok {
			in.addReady(s, vote{d: m.Digest, sig: m.Cert.Sigs[i]})
		}
	}
	return nil
}

// progress applies Bracha's rules: ready after an echo quorum or f+1
// readies for one digest; deliver after 2f+1 readies once the payload is
// known.
func (c *Core) progress(in *instance, now time.Time) {
	if in.myReady == nil {
		if d, ok := atLeast(in.nEcho, c.set.EchoQuorum(), nil); ok {
			c.ready(in, d, now)
		} else if d, ok := atLeast(in.nReady, c.set.ReadyAmplify(), nil); ok {
			c.ready(in, d, now)
		}
	}
	if in.delivered != nil {
		return
	}
	if d, ok := atLeast(in.nReady, c.set.DeliverQuorum(), in.payloads); ok {
		c.deliver(in, d, in.payloads[d])
	}
}

// atLeast returns the smallest digest counted at least k times (and, if
// have is not nil, present in it). Several can qualify only with more
// than f byzantine participants; the order keeps runs deterministic.
func atLeast(counts map[Digest]int, k int, have map[Digest][]byte) (Digest, bool) {
	var best Digest
	found := false
	for d, n := range counts {
		if n < k {
			continue
		}
		if have != nil {
			if _, ok := have[d]; !ok {
				continue
			}
		}
		if !found || bytes.Compare(d[:], best[:]) < 0 {
			best, found = d, true
		}
	}
	return best, found
}

// echo signs and emits our echo of d, its record first.
func (c *Core) echo(in *instance, d Digest, payload []byte, now time.Time) {
	v := vote{d: d, sig: c.sign(false, in.id, d)}
	in.myEcho = &v
	in.addEcho(c.self, v, payload)
	c.rd.Persist = append(c.rd.Persist, Record{Kind: RecEcho, Inst: in.id, Digest: d, Payload: in.payloads[d]})
	c.send(c.others(), c.echoMsg(in))
	c.arm(in, now)
}

func (c *Core) ready(in *instance, d Digest, now time.Time) {
	v := vote{d: d, sig: c.sign(true, in.id, d)}
	in.myReady = &v
	in.addReady(c.self, v)
	c.rd.Persist = append(c.rd.Persist, Record{Kind: RecReady, Inst: in.id, Digest: d})
	c.send(c.others(), c.readyMsg(in))
	c.arm(in, now)
}

func (c *Core) deliver(in *instance, d Digest, payload []byte) {
	cert := in.certificate(d, c.set)
	in.delivered = &Delivery{Inst: in.id, Payload: payload, Cert: cert}
	c.rd.Persist = append(c.rd.Persist, Record{Kind: RecDelivered, Inst: in.id, Digest: d, Payload: payload, Cert: cert})
	c.rd.Delivered = append(c.rd.Delivered, *in.delivered)
}

func (c *Core) echoMsg(in *instance) Message {
	return Message{Kind: KindEcho, Inst: in.id, Status: in.mine(), Signer: uint16(c.self),
		Digest: in.myEcho.d, Sig: in.myEcho.sig, Payload: in.payloads[in.myEcho.d]}
}

func (c *Core) readyMsg(in *instance) Message {
	return Message{Kind: KindReady, Inst: in.id, Status: in.mine(), Signer: uint16(c.self),
		Digest: in.myReady.d, Sig: in.myReady.sig}
}

func (c *Core) certMsg(in *instance) Message {
	d := in.delivered
	return Message{Kind: KindCert, Inst: in.id, Status: StatusDelivered, Signer: uint16(c.self),
		Digest: d.Cert.Digest, Payload: d.Payload, Cert: d.Cert}
}

func (c *Core) others() []int {
	out := make([]int, 0, c.set.N()-1)
	for i := range c.set.N() {
		if i != c.self {
			out = append(out, i)
		}
	}
	return out
}

func (c *Core) send(to []int, m Message) {
	if len(to) == 0 {
		return
	}
	c.rd.Messages = append(c.rd.Messages, Outbound{To: to, Msg: m})
	if in := c.insts[m.Inst]; in != nil && m.Status == StatusDelivered {
		for _, p := range to {
			in.told[p] = true
		}
	}
}
