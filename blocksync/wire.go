package blocksync

import (
	"encoding/binary"
	"errors"

	"github.com/blockwire/blockwire/chain/block"
)

// Wire sizes. Every message starts with the version byte and the type byte.
const (
	headerLen = 2
	helloLen  = headerLen + 32 + 1 + 4
	haveLen   = headerLen + 32 + block.SignedHeaderSize
	ackLen    = headerLen + 8
	pruneLen  = headerLen + 32
	graftLen  = headerLen + 32 + 32
	tiedMin   = headerLen + 32
	comingLen = headerLen + 32 + 4
)

// Hello flag bits; the others must be zero.
const (
	flagHead      = 1 << 0
	flagCommitted = 1 << 1
	flagCommon    = 1 << 2
	flagsKnown    = flagHead | flagCommitted | flagCommon
)

func appendHeader(dst []byte, t Type) []byte { return append(dst, Version, byte(t)) }

func (m *Hello) Size() int { return helloLen }

func (m *Hello) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeHello)
	dst = append(dst, m.ID[:]...)
	var f byte
	if m.Head {
		f |= flagHead
	}
	if m.Committed {
		f |= flagCommitted
	}
	if m.Common {
		f |= flagCommon
	}
	dst = append(dst, f)
	return binary.BigEndian.AppendUint32(dst, m.Window)
}

func (m *Have) Size() int { return haveLen }

func (m *Have) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeHave)
	dst = append(dst, m.Irreversible[:]...)
	return m.Header.AppendEncoding(dst)
}

func (m *Block) Size() int {
	if m.size == 0 {
		m.size = headerLen + m.Block.EncodedSize()
	}
	return m.size
}

func (m *Block) AppendTo(dst []byte) []byte {
	return m.Block.AppendEncoding(appendHeader(dst, TypeBlock))
}

func (m *Ack) Size() int { return ackLen }

func (m *Ack) AppendTo(dst []byte) []byte {
	return binary.BigEndian.AppendUint64(appendHeader(dst, TypeAck), m.Bytes)
}

func (m *Prune) Size() int { return pruneLen }

func (m *Prune) AppendTo(dst []byte) []byte {
	return append(appendHeader(dst, TypePrune), m.Producer[:]...)
}

func (m *Graft) Size() int { return graftLen }

func (m *Graft) AppendTo(dst []byte) []byte {
	dst = append(appendHeader(dst, TypeGraft), m.Producer[:]...)
	return append(dst, m.Want[:]...)
}

func (m *Tied) Size() int { return tiedMin + len(m.Payload) }

func (m *Tied) AppendTo(dst []byte) []byte {
	dst = append(appendHeader(dst, TypeTied), m.Block[:]...)
	return append(dst, m.Payload...)
}

func (m *Coming) Size() int { return comingLen }

func (m *Coming) AppendTo(dst []byte) []byte {
	dst = append(appendHeader(dst, TypeComing), m.ID[:]...)
	return binary.BigEndian.AppendUint32(dst, m.Bytes)
}

// Encode returns m's encoding in a buffer of exactly the right size.
func Encode(m Msg) []byte { return m.AppendTo(make([]byte, 0, m.Size())) }

// Decode parses one message (one link frame). It is strict: unknown versions,
// types and flag bits, wrong lengths and trailing bytes are errors, every
// length is checked against lim before anything is allocated, and the result
// aliases data (a Block's transactions, a Tied payload), which the caller must
// not modify afterwards. Errors are *Error with ReasonVersion or
// ReasonMalformed.
func Decode(data []byte, lim Limits) (Msg, error) {
	if len(data) < headerLen {
		return nil, fault(ReasonMalformed, "message of %d bytes", len(data))
	}
	if data[0] != Version {
		return nil, fault(ReasonVersion, "version %d, want %d", data[0], Version)
	}
	t, body := Type(data[1]), data[headerLen:]
	switch t {
	case TypeHello:
		return decodeHello(body)
	case TypeHave:
		return decodeHave(body)
	case TypeBlock:
		return decodeBlock(body, lim)
	case TypeAck:
		if err := wantLen(t, body, ackLen); err != nil {
			return nil, err
		}
		return &Ack{Bytes: binary.BigEndian.Uint64(body)}, nil
	case TypePrune:
		if err := wantLen(t, body, pruneLen); err != nil {
			return nil, err
		}
		m := &Prune{}
		copy(m.Producer[:], body)
		return m, nil
	case TypeGraft:
		if err := wantLen(t, body, graftLen); err != nil {
			return nil, err
		}
		m := &Graft{}
		copy(m.Producer[:], body[:32])
		copy(m.Want[:], body[32:])
		return m, nil
	case TypeTied:
		return decodeTied(body, lim)
	case TypeComing:
		if err := wantLen(t, body, comingLen); err != nil {
			return nil, err
		}
		m := &Coming{Bytes: binary.BigEndian.Uint32(body[32:])}
		copy(m.ID[:], body[:32])
		return m, nil
	}
	return nil, fault(ReasonMalformed, "unknown message type %d", uint8(t))
}

func wantLen(t Type, body []byte, total int) error {
	if len(body) != total-headerLen {
		return fault(ReasonMalformed, "%s of %d bytes, want %d", t, len(body)+headerLen, total)
	}
	return nil
}

func decodeHello(body []byte) (Msg, error) {
	if err := wantLen(TypeHello, body, helloLen); err != nil {
		return nil, err
	}
	m := &Hello{}
	copy(m.ID[:], body[:32])
	f := body[32]
	if f&^flagsKnown != 0 {
		return nil, fault(ReasonMalformed, "hello flags %#x", f)
	}
	m.Head, m.Committed, m.Common = f&flagHead != 0, f&flagCommitted != 0, f&flagCommon != 0
	m.Window = binary.BigEndian.Uint32(body[33:])
	return m, nil
}

func decodeHave(body []byte) (Msg, error) {
	if err := wantLen(TypeHave, body, haveLen); err != nil {
		return nil, err
	}
	m := &Have{}
	copy(m.Irreversible[:], body[:32])
	h, err := block.DecodeSignedHeader(body[32:])
	if err != nil {
		return nil, wrapBlock("have header", err)
	}
	m.Header = h
	return m, nil
}

func decodeBlock(body []byte, lim Limits) (Msg, error) {
	b, err := block.Decode(body, lim.Block)
	if err != nil {
		return nil, wrapBlock("block", err)
	}
	return &Block{Block: b, size: headerLen + len(body)}, nil
}

func decodeTied(body []byte, lim Limits) (Msg, error) {
	if len(body) < tiedMin-headerLen {
		return nil, fault(ReasonMalformed, "tied of %d bytes", len(body)+headerLen)
	}
	if n := len(body) - 32; n > lim.MaxPayload {
		return nil, fault(ReasonMalformed, "tied payload of %d bytes, limit %d", n, lim.MaxPayload)
	}
	m := &Tied{}
	copy(m.Block[:], body[:32])
	if len(body) > 32 {
		m.Payload = body[32:len(body):len(body)]
	}
	return m, nil
}

func wrapBlock(what string, err error) error {
	var be *block.Error
	if errors.As(err, &be) {
		return fault(ReasonMalformed, "%s: %s", what, be.Error())
	}
	return fault(ReasonMalformed, "%s: %v", what, err)
}
