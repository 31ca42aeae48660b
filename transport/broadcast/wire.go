package broadcast

import "encoding/binary"

// Version is the broadcast wire version, the first byte of every frame.
const Version = 1

// Type is a frame's type byte.
type Type uint8

// Frame types.
const (
	TypePush    Type = 1
	TypeIHave   Type = 2
	TypePrune   Type = 3
	TypePull    Type = 4
	TypeMissing Type = 5
)

// Wire sizes.
const (
	headerLen       = 2
	sigLen          = 64
	messageFixedLen = 2 + 32 + 8 + 4 + sigLen // topic origin seq len sig
	pushFixedLen    = headerLen + 1 + messageFixedLen
	announceLen     = 32 + 32
	iHaveFixedLen   = headerLen + 2
	pruneLen        = headerLen + 32
	pullLen         = headerLen + 1 + 32 + 32
	missingLen      = headerLen + 32
)

// Flag bits; all others must be zero.
const (
	pushReply     = 1 << 0 // answers our Pull
	pushScopeMask = 3 << 1 // the Scope, 0..2
	pullGraft     = 1 << 0
)

// Limits bound what Decode accepts, checked before allocation.
type Limits struct {
	// MaxPayload is the largest payload of any topic, in bytes.
	MaxPayload int
	// MaxAnnounce is the most digests one IHave may carry.
	MaxAnnounce int
}

// DefaultLimits are 4 MiB payloads and 512 announcements per frame
// (gossipsub caps IHAVE at 5000 ids; ours are flushed at every step, so a
// frame rarely holds more than a handful).
func DefaultLimits() Limits { return Limits{MaxPayload: 4 << 20, MaxAnnounce: 512} }

// Frame is a broadcast frame. Decode returns one of the pointer types below.
type Frame interface {
	// Size is the encoded size in bytes.
	Size() int
	// AppendTo appends the encoding to dst.
	AppendTo(dst []byte) []byte
}

// Push carries a message: eagerly along the tree, to direct peers, or as
// the answer to a Pull (Reply).
type Push struct {
	Reply bool
	Scope Scope
	Msg   *Message
}

// Announce names one message an IHave offers.
type Announce struct {
	Origin NodeID
	Digest Digest
}

// IHave is the lazy push: digests of messages we hold, sent on the links
// that are not on the origin's tree.
type IHave struct {
	Items []Announce
}

// Prune asks the receiver to stop pushing bodies of Origin's messages to
// us (it announces them instead): we got a duplicate over this link.
type Prune struct {
	Origin NodeID
}

// Pull asks for a message by digest. With Graft set, the receiver also
// turns the link eager for Origin: the tree is repaired where a message
// did not arrive in time.
type Pull struct {
	Graft  bool
	Origin NodeID
	Digest Digest
}

// Missing answers a Pull for a message we do not hold (evicted, never
// had): the puller asks another peer at once instead of timing out.
type Missing struct {
	Digest Digest
}

func appendHeader(dst []byte, t Type) []byte { return append(dst, Version, byte(t)) }

func (p *Push) Size() int { return pushFixedLen + len(p.Msg.Payload) }

func (p *Push) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypePush)
	f := byte(p.Scope) << 1
	if p.Reply {
		f |= pushReply
	}
	dst = append(dst, f)
	m := p.Msg
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Topic))
	dst = append(dst, m.Origin[:]...)
	dst = binary.BigEndian.AppendUint64(dst, m.Seq)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Payload)))
	dst = append(dst, m.Payload...)
	return append(dst, m.Sig[:]...)
}

func (h *IHave) Size() int { return iHaveFixedLen + announceLen*len(h.Items) }

func (h *IHave) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeIHave)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(h.Items)))
	for _, a := range h.Items {
		dst = append(dst, a.Origin[:]...)
		dst = append(dst, a.Digest[:]...)
	}
	return dst
}

func (p *Prune) Size() int { return pruneLen }

func (p *Prune) AppendTo(dst []byte) []byte {
	return append(appendHeader(dst, TypePrune), p.Origin[:]...)
}

func (p *Pull) Size() int { return pullLen }

func (p *Pull) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypePull)
	var f byte
	if p.Graft {
		f |= pullGraft
	}
	dst = append(dst, f)
	dst = append(dst, p.Origin[:]...)
	return append(dst, p.Digest[:]...)
}

func (m *Missing) Size() int { return missingLen }

func (m *Missing) AppendTo(dst []byte) []byte {
	return append(appendHeader(dst, TypeMissing), m.Digest[:]...)
}

// Decode parses one frame strictly: unknown versions, types, flag bits and
// scopes, wrong lengths, trailing bytes, empty announcements and counts or
// lengths above lim are errors (*Error: ReasonMalformed, ReasonVersion or
// ReasonOversized), checked before any allocation. Byte slices in the
// result are copies; data is not retained.
func Decode(data []byte, lim Limits) (Frame, error) {
	if len(data) < headerLen {
		return nil, fault(ReasonMalformed, "%d bytes, want at least %d", len(data), headerLen)
	}
	if data[0] != Version {
		return nil, fault(ReasonVersion, "version %d, want %d", data[0], Version)
	}
	switch Type(data[1]) {
	case TypePush:
		return decodePush(data, lim)
	case TypeIHave:
		return decodeIHave(data, lim)
	case TypePrune:
		return decodePrune(data)
	case TypePull:
		return decodePull(data)
	case TypeMissing:
		return decodeMissing(data)
	}
	return nil, fault(ReasonMalformed, "unknown type %d", data[1])
}

func wantLen(data []byte, n int, what string) error {
	if len(data) != n {
		return fault(ReasonMalformed, "%s: %d bytes, want %d", what, len(data), n)
	}
	return nil
}

func decodePush(data []byte, lim Limits) (Frame, error) {
	if len(data) < pushFixedLen {
		return nil, fault(ReasonMalformed, "push: %d bytes, want at least %d", len(data), pushFixedLen)
	}
	f := data[2]
	if f&^(pushReply|pushScopeMask) != 0 {
		return nil, fault(ReasonMalformed, "push: unknown flags %#x", f)
	}
	p := &Push{Reply: f&pushReply != 0, Scope: Scope(f&pushScopeMask) >> 1}
	if p.Scope > ScopeRouted {
		return nil, fault(ReasonMalformed, "push: unknown scope %d", p.Scope)
	}
	m := &Message{Topic: Topic(binary.BigEndian.Uint16(data[3:]))}
	copy(m.Origin[:], data[5:37])
	m.Seq = binary.BigEndian.Uint64(data[37:])
	plen := int(binary.BigEndian.Uint32(data[45:]))
	if plen > lim.MaxPayload {
		return nil, fault(ReasonOversized, "push: payload %d bytes above limit %d", plen, lim.MaxPayload)
	}
	if err := wantLen(data, pushFixedLen+plen, "push"); err != nil {
		return nil, err
	}
	m.Payload = append([]byte{}, data[49:49+plen]...)
	copy(m.Sig[:], data[49+plen:])
	p.Msg = m
	return p, nil
}

func decodeIHave(data []byte, lim Limits) (Frame, error) {
	if len(data) < iHaveFixedLen {
		return nil, fault(ReasonMalformed, "ihave: %d bytes, want at least %d", len(data), iHaveFixedLen)
	}
	n := int(binary.BigEndian.Uint16(data[2:]))
	if n < 1 || n > lim.MaxAnnounce {
		return nil, fault(ReasonMalformed, "ihave: %d digests, want 1..%d", n, lim.MaxAnnounce)
	}
	if err := wantLen(data, iHaveFixedLen+announceLen*n, "ihave"); err != nil {
		return nil, err
	}
	h := &IHave{Items: make([]Announce, n)}
	off := iHaveFixedLen
	for i := range h.Items {
		copy(h.Items[i].Origin[:], data[off:])
		copy(h.Items[i].Digest[:], data[off+32:])
		off += announceLen
	}
	return h, nil
}

func decodePrune(data []byte) (Frame, error) {
	if err := wantLen(data, pruneLen, "prune"); err != nil {
		return nil, err
	}
	p := &Prune{}
	copy(p.Origin[:], data[2:])
	return p, nil
}

func decodePull(data []byte) (Frame, error) {
	if err := wantLen(data, pullLen, "pull"); err != nil {
		return nil, err
	}
	f := data[2]
	if f&^pullGraft != 0 {
		return nil, fault(ReasonMalformed, "pull: unknown flags %#x", f)
	}
	p := &Pull{Graft: f&pullGraft != 0}
	copy(p.Origin[:], data[3:35])
	copy(p.Digest[:], data[35:])
	return p, nil
}

func decodeMissing(data []byte) (Frame, error) {
	if err := wantLen(data, missingLen, "missing"); err != nil {
		return nil, err
	}
	m := &Missing{}
	copy(m.Digest[:], data[2:])
	return m, nil
}
