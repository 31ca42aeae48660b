package rbc

import (
	"encoding/binary"
)

// Version is the wire version of messages, certificates and records.
const Version = 1

// headerSize: version, type, status, origin u16, seq u64.
const headerSize = 1 + 1 + 1 + 2 + 8

// Encoded sizes of the fixed parts.
const (
	readySize    = headerSize + 2 + 32 + 64
	echoFixed    = headerSize + 2 + 64 + 4
	certMsgFixed = headerSize + 4 + 2
	// Overhead bounds a message's bytes beyond its payload (a certificate
	// of MaxParticipants signers): drivers size frames with it.
	Overhead = certMsgFixed + MaxParticipants/8 + 64*MaxParticipants
)

// AppendBinary appends m's wire form (the package doc gives the layout).
func (m Message) AppendBinary(b []byte) []byte {
	b = append(b, Version, byte(m.Kind), byte(m.Status))
	b = binary.BigEndian.AppendUint16(b, m.Inst.Origin)
	b = binary.BigEndian.AppendUint64(b, m.Inst.Seq)
	switch m.Kind {
	case KindEcho:
		b = binary.BigEndian.AppendUint16(b, m.Signer)
		b = append(b, m.Sig[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(m.Payload)))
		return append(b, m.Payload...)
	case KindReady:
		b = binary.BigEndian.AppendUint16(b, m.Signer)
		b = append(b, m.Digest[:]...)
		return append(b, m.Sig[:]...)
	case KindCert:
		b = binary.BigEndian.AppendUint32(b, uint32(len(m.Payload)))
		b = append(b, m.Payload...)
		return m.Cert.appendSigners(b)
	}
	return b
}

// appendSigners appends set size u16, the signer bitmap of ⌈size/8⌉ bytes
// (bit i of byte i/8, most significant first, is signer i) and one 64-byte
// signature per set bit, ascending.
func (c *Certificate) appendSigners(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(c.SetSize))
	m := make([]byte, (c.SetSize+7)/8)
	for _, s := range c.Signers {
		m[s/8] |= 0x80 >> (s % 8)
	}
	b = append(b, m...)
	for _, s := range c.Sigs {
		b = append(b, s[:]...)
	}
	return b
}

// AppendBinary appends the certificate's standalone encoding: origin u16,
// seq u64, digest[32], then the signers as in a cert message. It is the
// form records and APIs carry.
func (c *Certificate) AppendBinary(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, c.Inst.Origin)
	b = binary.BigEndian.AppendUint64(b, c.Inst.Seq)
	b = append(b, c.Digest[:]...)
	return c.appendSigners(b)
}

// DecodeCertificate decodes a standalone certificate exactly. It checks the
// shape only; Verify checks it against a set.
func DecodeCertificate(b []byte) (*Certificate, error) {
	if len(b) < 2+8+32 {
		return nil, refuse(ReasonMalformed, "certificate of %d bytes", len(b))
	}
	c := &Certificate{Inst: Instance{Origin: binary.BigEndian.Uint16(b), Seq: binary.BigEndian.Uint64(b[2:])}}
	copy(c.Digest[:], b[10:42])
	if c.Inst.Seq == 0 {
		return nil, refuse(ReasonMalformed, "certificate for seq 0")
	}
	return c, c.decodeSigners(b[42:])
}

func (c *Certificate) decodeSigners(b []byte) error {
	if len(b) < 2 {
		return refuse(ReasonMalformed, "certificate signers truncated")
	}
	c.SetSize = int(binary.BigEndian.Uint16(b))
	if c.SetSize == 0 || c.SetSize > MaxParticipants {
		return refuse(ReasonMalformed, "certificate set size %d", c.SetSize)
	}
	b = b[2:]
	nb := (c.SetSize + 7) / 8
	if len(b) < nb {
		return refuse(ReasonMalformed, "certificate bitmap truncated")
	}
	for i := 0; i < 8*nb; i++ {
		if b[i/8]&(0x80>>(i%8)) == 0 {
			continue
		}
		if i >= c.SetSize {
			return refuse(ReasonMalformed, "certificate bitmap bit %d beyond set size %d", i, c.SetSize)
		}
		c.Signers = append(c.Signers, i)
	}
	b = b[nb:]
	if len(b) != 64*len(c.Signers) {
		return refuse(ReasonMalformed, "%d signature bytes for %d signers", len(b), len(c.Signers))
	}
	c.Sigs = make([]Sig, len(c.Signers))
	for i := range c.Sigs {
		copy(c.Sigs[i][:], b[64*i:])
	}
	return nil
}

// DecodeMessage decodes one message whose payload is at most maxPayload
// bytes. It accepts exactly one encoding per message, checks lengths
// before allocating, and computes Digest for echoes and certificates. The
// result's Payload aliases b.
func DecodeMessage(b []byte, maxPayload int) (Message, error) {
	if len(b) > maxPayload+Overhead {
		return Message{}, refuse(ReasonOversized, "%d bytes, limit %d", len(b), maxPayload+Overhead)
	}
	if len(b) < headerSize {
		return Message{}, refuse(ReasonMalformed, "%d bytes", len(b))
	}
	if b[0] != Version {
		return Message{}, refuse(ReasonVersion, "version %d", b[0])
	}
	m := Message{Kind: Kind(b[1]), Status: Status(b[2]),
		Inst: Instance{Origin: binary.BigEndian.Uint16(b[3:]), Seq: binary.BigEndian.Uint64(b[5:])}}
	if m.Status > StatusDelivered {
		return Message{}, refuse(ReasonMalformed, "status %d", b[2])
	}
	if m.Inst.Seq == 0 {
		return Message{}, refuse(ReasonMalformed, "seq 0")
	}
	body := b[headerSize:]
	switch m.Kind {
	case KindEcho:
		return decodeEcho(m, body, maxPayload)
	case KindReady:
		if len(b) != readySize {
			return Message{}, refuse(ReasonMalformed, "ready of %d bytes, want %d", len(b), readySize)
		}
		m.Signer = binary.BigEndian.Uint16(body)
		copy(m.Digest[:], body[2:34])
		copy(m.Sig[:], body[34:])
		return m, nil
	case KindCert:
		return decodeCertMsg(m, body, maxPayload)
	}
	return Message{}, refuse(ReasonMalformed, "message type %d", b[1])
}

func decodePayload(body []byte, maxPayload int) (payload, rest []byte, err error) {
	if len(body) < 4 {
		return nil, nil, refuse(ReasonMalformed, "payload length truncated")
	}
	n := binary.BigEndian.Uint32(body)
	if uint64(n) > uint64(maxPayload) {
		return nil, nil, refuse(ReasonOversized, "payload of %d bytes, limit %d", n, maxPayload)
	}
	if uint64(len(body)-4) < uint64(n) {
		return nil, nil, refuse(ReasonMalformed, "payload of %d bytes, %d present", n, len(body)-4)
	}
	return body[4 : 4+n], body[4+n:], nil
}

func decodeEcho(m Message, body []byte, maxPayload int) (Message, error) {
	if len(body) < echoFixed-headerSize {
		return Message{}, refuse(ReasonMalformed, "echo of %d bytes", len(body)+headerSize)
	}
	m.Signer = binary.BigEndian.Uint16(body)
	copy(m.Sig[:], body[2:66])
	p, rest, err := decodePayload(body[66:], maxPayload)
	if err != nil {
		return Message{}, err
	}
	if len(rest) != 0 {
		return Message{}, refuse(ReasonMalformed, "echo with %d trailing bytes", len(rest))
	}
	m.Payload, m.Digest = p, DigestOf(p)
	return m, nil
}

func decodeCertMsg(m Message, body []byte, maxPayload int) (Message, error) {
	p, rest, err := decodePayload(body, maxPayload)
	if err != nil {
		return Message{}, err
	}
	m.Payload, m.Digest = p, DigestOf(p)
	m.Cert = &Certificate{Inst: m.Inst, Digest: m.Digest}
	if err := m.Cert.decodeSigners(rest); err != nil {
		return Message{}, err
	}
	return m, nil
}
