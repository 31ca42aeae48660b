package pex

import (
	"errors"
	"fmt"
)

// Wire constants (see doc.go, "Wire format").
const (
	// Marker is the first byte of every PEX frame. PEX shares the link's
	// routing lane with transport/route, whose frames start with its
	// version byte (1); the driver hands a frame starting with Marker to
	// the book and every other frame to the transport.
	Marker = 'P'
	// Version is the PEX wire version, the second byte.
	Version = 1
	// MaxWireEntries is the most entries an Addrs message may carry.
	MaxWireEntries = 64
	// MaxFrame bounds an encoded frame: 3 header bytes, a count, and
	// MaxWireEntries entries of an id and MaxAddrsPerPeer addresses.
	MaxFrame = 4 + MaxWireEntries*(2+MaxIDLen+MaxAddrsPerPeer*(1+MaxAddrLen))
)

// Type is a message's type byte.
type Type uint8

// Message types.
const (
	// TypeHello: the sender's own listen addresses, once per link.
	TypeHello Type = 1
	// TypeRequest: ask for addresses.
	TypeRequest Type = 2
	// TypeAddrs: the answer to a Request.
	TypeAddrs Type = 3
)

// Entry is one peer's addresses in an Addrs message.
type Entry struct {
	ID    PeerID
	Addrs []string
}

// Msg is a decoded PEX message.
type Msg struct {
	Type Type
	// Addrs is the sender's own addresses (Hello).
	Addrs []string
	// Entries are the peers of an Addrs message.
	Entries []Entry
}

// ErrMalformed wraps every decode failure.
var ErrMalformed = errors.New("pex: malformed message")

// IsFrame reports whether a routing-lane frame is a PEX frame.
func IsFrame(b []byte) bool { return len(b) > 0 && b[0] == Marker }

// AppendTo appends m's encoding to dst. Callers build messages that pass
// Decode (the book only encodes what it validated).
func (m Msg) AppendTo(dst []byte) []byte {
	dst = append(dst, Marker, Version, byte(m.Type))
	switch m.Type {
	case TypeHello:
		dst = appendStrings(dst, m.Addrs)
	case TypeAddrs:
		dst = append(dst, byte(len(m.Entries)))
		for _, e := range m.Entries {
			dst = append(dst, byte(len(e.ID)))
			dst = append(dst, e.ID...)
			dst = appendStrings(dst, e.Addrs)
		}
	}
	return dst
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, byte(len(ss)))
	for _, s := range ss {
		dst = append(dst, byte(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// Decode parses one frame strictly: marker, version, a known type, counts
// and lengths within the limits, addresses that ParseAddr accepts (with
// allowLoopback), ids of 1..MaxIDLen bytes, no duplicate ids, and no
// trailing bytes. Every failure wraps ErrMalformed.
func Decode(b []byte, allowLoopback bool) (Msg, error) {
	if len(b) > MaxFrame {
		return Msg{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxFrame)
	}
	if len(b) < 3 || b[0] != Marker {
		return Msg{}, fmt.Errorf("%w: short frame or no marker", ErrMalformed)
	}
	if b[1] != Version {
		return Msg{}, fmt.Errorf("%w: version %d, want %d", ErrMalformed, b[1], Version)
	}
	r := reader{b: b[3:]}
	m := Msg{Type: Type(b[2])}
	switch m.Type {
	case TypeHello:
		m.Addrs = r.addrs(allowLoopback)
	case TypeRequest:
	case TypeAddrs:
		m.Entries = r.entries(allowLoopback)
	default:
		return Msg{}, fmt.Errorf("%w: unknown type %d", ErrMalformed, m.Type)
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return Msg{}, r.err
	}
	return m, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

func (r *reader) byte() int {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.fail("truncated")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *reader) bytes(n int) string {
	if r.err != nil {
		return ""
	}
	if len(r.b) < n {
		r.fail("truncated")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) addrs(allowLoopback bool) []string {
	n := r.byte()
	if r.err == nil && (n < 1 || n > MaxAddrsPerPeer) {
		r.fail("%d addresses, want 1..%d", n, MaxAddrsPerPeer)
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, r.bytes(r.byte()))
	}
	if r.err != nil {
		return nil
	}
	if _, err := parseAddrs(out, allowLoopback); err != nil {
		r.fail("%v", err)
	}
	return out
}

func (r *reader) entries(allowLoopback bool) []Entry {
	n := r.byte()
	if r.err == nil && n > MaxWireEntries {
		r.fail("%d entries, limit %d", n, MaxWireEntries)
	}
	out := make([]Entry, 0, n)
	seen := make(map[PeerID]bool, n)
	for range n {
		l := r.byte()
		if r.err == nil && (l < 1 || l > MaxIDLen) {
			r.fail("peer id of %d bytes, want 1..%d", l, MaxIDLen)
		}
		id := PeerID(r.bytes(l))
		if r.err == nil && seen[id] {
			r.fail("peer id listed twice")
		}
		seen[id] = true
		out = append(out, Entry{ID: id, Addrs: r.addrs(allowLoopback)})
		if r.err != nil {
			return nil
		}
	}
	return out
}
