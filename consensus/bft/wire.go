package bft

import (
	"encoding/binary"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/quorum"
)

// Version is the wire version of votes, certificates and records.
// Version 2 (the fast path) added the nullify vote's signed report and the
// per-signer reports of a nullification certificate.
const Version = 2

// Message types.
const (
	typeVote = 1
	typeCert = 2
)

// voteSize is an encoded vote message: version, type, kind, view, block,
// signer, signature.
const voteSize = 1 + 1 + 1 + 8 + 32 + 2 + 64

// Message is what producers send each other: exactly one of Vote and Cert.
type Message struct {
	Vote *Vote
	Cert *Certificate
}

// AppendBinary appends m's wire form.
func (m Message) AppendBinary(b []byte) []byte {
	if m.Vote != nil {
		v := m.Vote
		b = append(b, Version, typeVote, byte(v.Kind))
		b = binary.BigEndian.AppendUint64(b, v.View)
		b = append(b, v.Block[:]...)
		b = binary.BigEndian.AppendUint16(b, v.Signer)
		return append(b, v.Sig[:]...)
	}
	b = append(b, Version, typeCert)
	return m.Cert.AppendBinary(b)
}

// AppendBinary appends the certificate's encoding (without the message
// header): kind, view, block, uvarint set size, the signer bitmap of
// ⌈size/8⌉ bytes, then one 64-byte signature per set bit in ascending
// signer order; a nullification then adds one 32-byte report per signer
// (zero for none), in the same order. It is the form blocks carry.
func (c *Certificate) AppendBinary(b []byte) []byte {
	b = append(b, byte(c.Kind))
	b = binary.BigEndian.AppendUint64(b, c.View)
	b = append(b, c.Block[:]...)
	b = binary.AppendUvarint(b, uint64(c.SetSize))
	m := quorum.NewBitmap(c.SetSize)
	for _, s := range c.Signers {
		m.Set(s)
	}
	b = append(b, m...)
	for _, s := range c.Sigs {
		b = append(b, s[:]...)
	}
	for _, r := range c.Reports {
		b = append(b, r[:]...)
	}
	return b
}

// DecodeMessage decodes one message of at most maxBytes. It never allocates
// more than the input's size and accepts exactly one encoding per message.
func DecodeMessage(b []byte, maxBytes int) (Message, error) {
	if len(b) > maxBytes {
		return Message{}, refuse(ReasonOversized, "%d bytes, limit %d", len(b), maxBytes)
	}
	if len(b) < 2 {
		return Message{}, refuse(ReasonMalformed, "%d bytes", len(b))
	}
	if b[0] != Version {
		return Message{}, refuse(ReasonVersion, "version %d", b[0])
	}
	switch b[1] {
	case typeVote:
		if len(b) != voteSize {
			return Message{}, refuse(ReasonMalformed, "vote of %d bytes, want %d", len(b), voteSize)
		}
		v := &Vote{Kind: Kind(b[2]), View: binary.BigEndian.Uint64(b[3:11])}
		copy(v.Block[:], b[11:43])
		v.Signer = binary.BigEndian.Uint16(b[43:45])
		copy(v.Sig[:], b[45:])
		if err := v.check(); err != nil {
			return Message{}, err
		}
		return Message{Vote: v}, nil
	case typeCert:
		c, err := DecodeCertificate(b[2:])
		if err != nil {
			return Message{}, err
		}
		return Message{Cert: c}, nil
	}
	return Message{}, refuse(ReasonMalformed, "message type %d", b[1])
}

// DecodeCertificate decodes a certificate's encoding (AppendBinary) exactly:
// no trailing bytes, no bitmap bits beyond the set size, one signature per
// signer. It checks the shape only; Verify checks it against a set.
func DecodeCertificate(b []byte) (*Certificate, error) {
	if len(b) < 1+8+32+1 {
		return nil, refuse(ReasonMalformed, "certificate of %d bytes", len(b))
	}
	c := &Certificate{Kind: Kind(b[0]), View: binary.BigEndian.Uint64(b[1:9])}
	copy(c.Block[:], b[9:41])
	rest := b[41:]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > MaxSigners || k != uvarintLen(n) {
		return nil, refuse(ReasonMalformed, "certificate set size")
	}
	rest = rest[k:]
	c.SetSize = int(n)
	nb := (c.SetSize + 7) / 8
	if len(rest) < nb {
		return nil, refuse(ReasonMalformed, "certificate bitmap truncated")
	}
	m, err := quorum.ParseBitmap(rest[:nb], c.SetSize)
	if err != nil {
		return nil, refuse(ReasonMalformed, "%v", err)
	}
	rest = rest[nb:]
	c.Signers = m.Indexes()
	per := 64
	if Kind(b[0]) == Nullify {
		per += 32 // a report per signer
	}
	if len(rest) != per*len(c.Signers) {
		return nil, refuse(ReasonMalformed, "%d signature bytes for %d signers", len(rest), len(c.Signers))
	}
	c.Sigs = make([]block.Signature, len(c.Signers))
	for i := range c.Sigs {
		copy(c.Sigs[i][:], rest[64*i:])
	}
	if Kind(b[0]) == Nullify {
		c.Reports = make([]block.ID, len(c.Signers))
		reps := rest[64*len(c.Signers):]
		for i := range c.Reports {
			copy(c.Reports[i][:], reps[32*i:])
		}
	}
	if !c.Kind.valid() || c.View == 0 || (c.Kind == Nullify) != c.Block.IsZero() {
		return nil, refuse(ReasonMalformed, "%s", c)
	}
	return c, nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
