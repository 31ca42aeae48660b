package rbc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Instance names one broadcast: the origin's participant index and the
// origin's sequence number (≥ 1, increasing per origin; see Core.Broadcast).
type Instance struct {
	Origin uint16
	Seq    uint64
}

func (i Instance) String() string { return fmt.Sprintf("%d/%d", i.Origin, i.Seq) }

// Digest is the sha256 of a payload.
type Digest [32]byte

// DigestOf returns payload's digest.
func DigestOf(payload []byte) Digest { return sha256.Sum256(payload) }

func (d Digest) String() string { return hex.EncodeToString(d[:4]) }

// Sig is an ed25519 signature.
type Sig [64]byte

// Status is how far a participant got in an instance. Every message carries
// its sender's status, an unsigned hint: a peer known to have delivered
// gets no more retransmissions. A byzantine peer lying about it only cuts
// itself off.
type Status uint8

// Statuses, in order.
const (
	StatusNone      Status = 0
	StatusEchoed    Status = 1
	StatusReady     Status = 2
	StatusDelivered Status = 3
)

func (s Status) String() string {
	switch s {
	case StatusNone:
		return "none"
	case StatusEchoed:
		return "echoed"
	case StatusReady:
		return "ready"
	case StatusDelivered:
		return "delivered"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Kind is a message type.
type Kind uint8

// Message kinds. The origin's own echo is Bracha's SEND: a participant
// echoes the first valid payload it receives in an echo signed by the
// instance's origin.
const (
	KindEcho  Kind = 1
	KindReady Kind = 2
	KindCert  Kind = 3
)

func (k Kind) String() string {
	switch k {
	case KindEcho:
		return "echo"
	case KindReady:
		return "ready"
	case KindCert:
		return "cert"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Message is what participants send each other.
//
//   - KindEcho: Signer's signature over (instance, sha256(Payload)); Payload
//     rides along so every participant that sees an echo quorum holds it.
//   - KindReady: Signer's signature over (instance, Digest).
//   - KindCert: Payload and a Certificate of 2f+1 readies for its digest;
//     any participant may relay it.
//
// Status is the sender's status in the instance (not signed).
type Message struct {
	Kind    Kind
	Inst    Instance
	Status  Status
	Signer  uint16
	Digest  Digest // echo: sha256(Payload); ready: signed; cert: Cert.Digest
	Payload []byte // echo, cert
	Sig     Sig    // echo, ready
	Cert    *Certificate
}

func (m Message) String() string {
	return fmt.Sprintf("%s(%s by %d d=%s st=%s)", m.Kind, m.Inst, m.Signer, m.Digest, m.Status)
}

// Certificate proves that 2f+1 distinct participants signed a ready for
// Digest in Inst, so every correct participant delivers Digest's payload
// there (or already has). Anyone who knows the participant set and the
// domain can verify it (Verify). Signers are ascending participant
// indexes; Sigs[i] is Signers[i]'s ready signature.
type Certificate struct {
	Inst    Instance
	Digest  Digest
	SetSize int
	Signers []int
	Sigs    []Sig
}

func (c *Certificate) String() string {
	return fmt.Sprintf("cert(%s d=%s %d/%d)", c.Inst, c.Digest, len(c.Signers), c.SetSize)
}

// Verify checks c against the set and domain: the set's size, at least
// DeliverQuorum distinct ascending signers inside the set, and every
// signature. v nil means Ed25519.
func (c *Certificate) Verify(domain [32]byte, set *Participants, v Verifier) error {
	if v == nil {
		v = Ed25519{}
	}
	if c.SetSize != set.N() {
		return refuse(ReasonWrongSet, "%s for a set of %d, ours has %d", c, c.SetSize, set.N())
	}
	if int(c.Inst.Origin) >= set.N() {
		return refuse(ReasonNonMember, "%s: origin %d", c, c.Inst.Origin)
	}
	if len(c.Signers) != len(c.Sigs) {
		return refuse(ReasonMalformed, "%s: %d signers, %d signatures", c, len(c.Signers), len(c.Sigs))
	}
	for i, s := range c.Signers {
		if s < 0 || s >= set.N() {
			return refuse(ReasonNonMember, "%s: signer %d", c, s)
		}
		if i > 0 && s <= c.Signers[i-1] {
			return refuse(ReasonDuplicate, "%s: signers not distinct and ascending at %d", c, s)
		}
	}
	if len(c.Signers) < set.DeliverQuorum() {
		return refuse(ReasonNoQuorum, "%s: %d signers, need %d", c, len(c.Signers), set.DeliverQuorum())
	}
	msg := SignedBytes(true, domain, set, c.Inst, c.Digest)
	for i, s := range c.Signers {
		if !v.Verify(set.Key(s), msg, c.Sigs[i]) {
			return refuse(ReasonBadSignature, "%s: signer %d", c, s)
		}
	}
	return nil
}

// Delivery is a delivered payload with its certificate. Payload is the
// caller's (never modified by the core).
//
// Delivery is at least once: a restarted core hands out again, with
// Replayed set, every delivery its records hold (the process may have
// crashed after persisting a delivery and before handing it out).
// Subscribers that must act once key on Inst.
type Delivery struct {
	Inst     Instance
	Payload  []byte
	Cert     *Certificate
	Replayed bool
}
