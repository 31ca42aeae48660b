package route

import (
	"encoding/binary"
)

// Version is the routing wire version, the first byte of every message.
// Version 2 added attributes to signed announcements (Update.Attrs).
const Version = 2

// Type is a message's type byte.
type Type uint8

// Message types.
const (
	TypeHello        Type = 1
	TypeUpdate       Type = 2
	TypeSeqnoRequest Type = 3
	TypeRouteRequest Type = 4
	TypeData         Type = 5
	TypeReply        Type = 6
)

// Wire sizes.
const (
	headerLen       = 2
	helloLen        = headerLen + 1 + 2 + 4 + 4 + 4
	updateLen       = headerLen + 1 + 32 + 8 + 2 + 2
	sigLen          = 64
	seqnoRequestLen = headerLen + 32 + 8 + 2 + 1
	routeRequestLen = headerLen + 32
	dataFixedLen    = headerLen + 1 + 1 + 32 + 8 + 2 + 4 + sigLen
	replyFixedLen   = headerLen + 1 + 1 + 32 + 32 + 8 + 4 + sigLen
	maxDestsWire    = 1024
)

// Flag bits; all others must be zero.
const (
	helloEcho    = 1 << 0
	updateSigned = 1 << 0
	// updateAttrs: the signed announcement carries the destination's
	// attributes after its signature (only with updateSigned).
	updateAttrs = 1 << 1
)

// Msg is a routing message. Decode returns one of the pointer types below.
type Msg interface {
	// Size is the encoded size in bytes.
	Size() int
	// AppendTo appends the encoding to dst.
	AppendTo(dst []byte) []byte
}

// Hello is sent on every link each HelloInterval and carries the IHU of
// RFC 8966 for that link: the echo of the peer's last hello timestamp and
// how long we held it, so the peer computes RTT with its own clock only
// (RFC 9616: RTT = (now − EchoTS) − EchoDelay).
type Hello struct {
	// Interval is our hello interval in milliseconds; the peer declares the
	// link dead after HoldMultiplier of them without a hello.
	Interval uint16
	// TS is our clock in microseconds, modulo 2³².
	TS uint32
	// Echo says EchoTS and EchoDelay are valid: we heard the peer (the link
	// is bidirectional).
	Echo bool
	// EchoTS is the TS of the last hello we received from the peer.
	EchoTS uint32
	// EchoDelay is the time in microseconds between receiving that hello
	// and sending this one.
	EchoDelay uint32
}

// Update advertises our route to Dest: the destination's signed
// announcement (RouterID, Seqno, Sig) and our metric. Metric Infinity is a
// retraction and needs no signature. An unsigned update with a finite
// metric is a refresh: it repeats the (RouterID, Seqno) the receiver already
// verified from us, which saves the 64-byte signature on periodic refreshes.
// Attrs (signed updates only) are the destination's attributes, covered by
// its signature; a refresh repeats them by naming the same seqno.
type Update struct {
	Dest     NodeID
	RouterID uint64
	Seqno    uint16
	Metric   Metric
	Signed   bool
	Sig      [sigLen]byte
	Attrs    *Attrs
}

// SeqnoRequest asks for an announcement of Dest with a seqno at least Seqno
// from source RouterID; it travels towards Dest for at most Hops hops.
type SeqnoRequest struct {
	Dest     NodeID
	RouterID uint64
	Seqno    uint16
	Hops     uint8
}

// RouteRequest asks a neighbour for its signed route to Dest (sent when a
// refresh names an announcement we do not hold).
type RouteRequest struct {
	Dest NodeID
}

// Data is a routed message to one destination (unicast) or a set
// (multicast). The origin signs (Origin, Class, Seq, Dests, sha256(Payload));
// relays change only HopLimit and Remaining, which say how many hops are
// left and which of Dests this copy still serves.
type Data struct {
	Class     Class
	HopLimit  uint8
	Origin    NodeID
	Seq       uint64
	Dests     []NodeID
	Remaining []byte // bitmap over Dests, bit i = byte i/8, bit i%8
	Payload   []byte
	Sig       [sigLen]byte

	sig sigCheck // set by Check outside the Router (precheck.go)
}

// Reply answers a unicast Data message (To, Seq) along the reverse of its
// path (reply.go). The replier (the message's destination) signs (Replier,
// To, Class, Seq, sha256(Payload)); relays change only HopLimit.
type Reply struct {
	Class    Class
	HopLimit uint8
	Replier  NodeID
	To       NodeID
	Seq      uint64
	Payload  []byte
	Sig      [sigLen]byte

	sig sigCheck // set by Check outside the Router (precheck.go)
}

func (m *Reply) Size() int { return replyFixedLen + len(m.Payload) }

func (m *Reply) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeReply)
	dst = append(dst, byte(m.Class), m.HopLimit)
	dst = append(dst, m.Replier[:]...)
	dst = append(dst, m.To[:]...)
	dst = binary.BigEndian.AppendUint64(dst, m.Seq)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Payload)))
	dst = append(dst, m.Payload...)
	return append(dst, m.Sig[:]...)
}

func decodeReply(data []byte, lim Limits) (Msg, error) {
	if len(data) < replyFixedLen {
		return nil, fault(ReasonMalformed, "reply: %d bytes, want at least %d", len(data), replyFixedLen)
	}
	m := &Reply{Class: Class(data[2]), HopLimit: data[3]}
	copy(m.Replier[:], data[4:36])
	copy(m.To[:], data[36:68])
	m.Seq = binary.BigEndian.Uint64(data[68:])
	plen := int(binary.BigEndian.Uint32(data[76:]))
	if plen > lim.MaxPayload {
		return nil, fault(ReasonMalformed, "reply: payload %d bytes above limit %d", plen, lim.MaxPayload)
	}
	if err := wantLen(data, replyFixedLen+plen, "reply"); err != nil {
		return nil, err
	}
	m.Payload = append([]byte{}, data[80:80+plen]...)
	copy(m.Sig[:], data[80+plen:])
	return m, nil
}

func appendHeader(dst []byte, t Type) []byte { return append(dst, Version, byte(t)) }

func (m *Hello) Size() int { return helloLen }

func (m *Hello) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeHello)
	var f byte
	if m.Echo {
		f |= helloEcho
	}
	dst = append(dst, f)
	dst = binary.BigEndian.AppendUint16(dst, m.Interval)
	dst = binary.BigEndian.AppendUint32(dst, m.TS)
	dst = binary.BigEndian.AppendUint32(dst, m.EchoTS)
	return binary.BigEndian.AppendUint32(dst, m.EchoDelay)
}

func (m *Update) Size() int {
	n := updateLen
	if m.Signed {
		n += sigLen
	}
	if m.Signed && m.Attrs != nil {
		n += m.Attrs.size()
	}
	return n
}

func (m *Update) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeUpdate)
	var f byte
	if m.Signed {
		f |= updateSigned
		if m.Attrs != nil {
			f |= updateAttrs
		}
	}
	dst = append(dst, f)
	dst = append(dst, m.Dest[:]...)
	dst = binary.BigEndian.AppendUint64(dst, m.RouterID)
	dst = binary.BigEndian.AppendUint16(dst, m.Seqno)
	dst = binary.BigEndian.AppendUint16(dst, uint16(m.Metric))
	if m.Signed {
		dst = append(dst, m.Sig[:]...)
		if m.Attrs != nil {
			dst = appendAttrs(dst, m.Attrs)
		}
	}
	return dst
}

func (m *SeqnoRequest) Size() int { return seqnoRequestLen }

func (m *SeqnoRequest) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeSeqnoRequest)
	dst = append(dst, m.Dest[:]...)
	dst = binary.BigEndian.AppendUint64(dst, m.RouterID)
	dst = binary.BigEndian.AppendUint16(dst, m.Seqno)
	return append(dst, m.Hops)
}

func (m *RouteRequest) Size() int { return routeRequestLen }

func (m *RouteRequest) AppendTo(dst []byte) []byte {
	return append(appendHeader(dst, TypeRouteRequest), m.Dest[:]...)
}

func bitmapLen(n int) int { return (n + 7) / 8 }

func (m *Data) Size() int {
	return dataFixedLen + 32*len(m.Dests) + bitmapLen(len(m.Dests)) + len(m.Payload)
}

func (m *Data) AppendTo(dst []byte) []byte {
	dst = appendHeader(dst, TypeData)
	dst = append(dst, byte(m.Class), m.HopLimit)
	dst = append(dst, m.Origin[:]...)
	dst = binary.BigEndian.AppendUint64(dst, m.Seq)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Dests)))
	for i := range m.Dests {
		dst = append(dst, m.Dests[i][:]...)
	}
	dst = append(dst, m.Remaining...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Payload)))
	dst = append(dst, m.Payload...)
	return append(dst, m.Sig[:]...)
}

// has reports whether bit i of the remaining set is set.
func (m *Data) has(i int) bool { return m.Remaining[i/8]&(1<<(i%8)) != 0 }

// Decode parses one message strictly: unknown versions, types and flag
// bits, wrong lengths, trailing bytes and counts or lengths above lim are
// errors (*Error, ReasonMalformed or ReasonVersion), checked before any
// allocation. Byte slices in the result are copies; data is not retained.
func Decode(data []byte, lim Limits) (Msg, error) {
	if len(data) < headerLen {
		return nil, fault(ReasonMalformed, "%d bytes, want at least %d", len(data), headerLen)
	}
	if data[0] != Version {
		return nil, fault(ReasonVersion, "version %d, want %d", data[0], Version)
	}
	switch Type(data[1]) {
	case TypeHello:
		return decodeHello(data)
	case TypeUpdate:
		return decodeUpdate(data)
	case TypeSeqnoRequest:
		return decodeSeqnoRequest(data)
	case TypeRouteRequest:
		return decodeRouteRequest(data)
	case TypeData:
		return decodeData(data, lim)
	case TypeReply:
		return decodeReply(data, lim)
	}
	return nil, fault(ReasonMalformed, "unknown type %d", data[1])
}

func wantLen(data []byte, n int, what string) error {
	if len(data) != n {
		return fault(ReasonMalformed, "%s: %d bytes, want %d", what, len(data), n)
	}
	return nil
}

func decodeHello(data []byte) (Msg, error) {
	if err := wantLen(data, helloLen, "hello"); err != nil {
		return nil, err
	}
	f := data[2]
	if f&^helloEcho != 0 {
		return nil, fault(ReasonMalformed, "hello: unknown flags %#x", f)
	}
	m := &Hello{
		Echo:      f&helloEcho != 0,
		Interval:  binary.BigEndian.Uint16(data[3:]),
		TS:        binary.BigEndian.Uint32(data[5:]),
		EchoTS:    binary.BigEndian.Uint32(data[9:]),
		EchoDelay: binary.BigEndian.Uint32(data[13:]),
	}
	if m.Interval == 0 {
		return nil, fault(ReasonMalformed, "hello: zero interval")
	}
	if !m.Echo && (m.EchoTS != 0 || m.EchoDelay != 0) {
		return nil, fault(ReasonMalformed, "hello: echo fields without the echo flag")
	}
	return m, nil
}

func decodeUpdate(data []byte) (Msg, error) {
	if len(data) < updateLen {
		return nil, fault(ReasonMalformed, "update: %d bytes, want at least %d", len(data), updateLen)
	}
	f := data[2]
	if f&^(updateSigned|updateAttrs) != 0 || f == updateAttrs {
		return nil, fault(ReasonMalformed, "update: unknown flags %#x", f)
	}
	m := &Update{Signed: f&updateSigned != 0}
	want := updateLen
	if m.Signed {
		want += sigLen
	}
	if f&updateAttrs != 0 {
		if len(data) <= want {
			return nil, fault(ReasonMalformed, "update: attributes flagged but missing")
		}
		a, err := decodeAttrs(data[want:])
		if err != nil {
			return nil, err
		}
		m.Attrs = a
		want = len(data)
	}
	if err := wantLen(data, want, "update"); err != nil {
		return nil, err
	}
	copy(m.Dest[:], data[3:35])
	m.RouterID = binary.BigEndian.Uint64(data[35:])
	m.Seqno = binary.BigEndian.Uint16(data[43:])
	m.Metric = Metric(binary.BigEndian.Uint16(data[45:]))
	if m.Signed {
		copy(m.Sig[:], data[updateLen:])
	}
	return m, nil
}

func decodeSeqnoRequest(data []byte) (Msg, error) {
	if err := wantLen(data, seqnoRequestLen, "seqno request"); err != nil {
		return nil, err
	}
	m := &SeqnoRequest{}
	copy(m.Dest[:], data[2:34])
	m.RouterID = binary.BigEndian.Uint64(data[34:])
	m.Seqno = binary.BigEndian.Uint16(data[42:])
	m.Hops = data[44]
	if m.Hops == 0 {
		return nil, fault(ReasonMalformed, "seqno request: zero hop count")
	}
	return m, nil
}

func decodeRouteRequest(data []byte) (Msg, error) {
	if err := wantLen(data, routeRequestLen, "route request"); err != nil {
		return nil, err
	}
	m := &RouteRequest{}
	copy(m.Dest[:], data[2:])
	return m, nil
}

func decodeData(data []byte, lim Limits) (Msg, error) {
	if len(data) < dataFixedLen {
		return nil, fault(ReasonMalformed, "data: %d bytes, want at least %d", len(data), dataFixedLen)
	}
	m := &Data{Class: Class(data[2]), HopLimit: data[3]}
	copy(m.Origin[:], data[4:36])
	m.Seq = binary.BigEndian.Uint64(data[36:])
	n := int(binary.BigEndian.Uint16(data[44:]))
	if n < 1 || n > lim.MaxDests {
		return nil, fault(ReasonMalformed, "data: %d destinations, want 1..%d", n, lim.MaxDests)
	}
	off := 46
	bm := bitmapLen(n)
	if len(data) < off+32*n+bm+4+sigLen {
		return nil, fault(ReasonMalformed, "data: truncated destination set")
	}
	plen := int(binary.BigEndian.Uint32(data[off+32*n+bm:]))
	if plen > lim.MaxPayload {
		return nil, fault(ReasonMalformed, "data: payload %d bytes above limit %d", plen, lim.MaxPayload)
	}
	if err := wantLen(data, dataFixedLen+32*n+bm+plen, "data"); err != nil {
		return nil, err
	}
	m.Dests = make([]NodeID, n)
	for i := range m.Dests {
		copy(m.Dests[i][:], data[off:])
		off += 32
	}
	m.Remaining = append([]byte(nil), data[off:off+bm]...)
	if err := checkBitmap(m.Remaining, n); err != nil {
		return nil, err
	}
	off += bm + 4
	m.Payload = append([]byte{}, data[off:off+plen]...)
	copy(m.Sig[:], data[off+plen:])
	return m, nil
}

// checkBitmap requires a non-empty remaining set with no bits past n.
func checkBitmap(bm []byte, n int) error {
	any := false
	for i, b := range bm {
		if b != 0 {
			any = true
		}
		if i == len(bm)-1 && n%8 != 0 && b>>(n%8) != 0 {
			return fault(ReasonMalformed, "data: remaining bits beyond %d destinations", n)
		}
	}
	if !any {
		return fault(ReasonMalformed, "data: empty remaining set")
	}
	return nil
}
