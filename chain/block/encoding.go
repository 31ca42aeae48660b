package block

import (
	"encoding/binary"
	"fmt"
)

// FormatVersion is the first byte of every encoded block.
const FormatVersion = 1

// Limits bound what Decode accepts. They are checked before any allocation.
type Limits struct {
	// MaxBlockBytes bounds the whole encoding. A block larger than this is
	// rejected before it is parsed.
	MaxBlockBytes int
	// MaxTxs bounds the number of transactions.
	MaxTxs int
	// MaxTxBytes bounds one transaction.
	MaxTxBytes int
	// MaxCertificateBytes bounds the certificate.
	MaxCertificateBytes int
}

// DefaultLimits suit blocks of up to 64 MiB, the largest the link layer's
// benchmarks stream.
func DefaultLimits() Limits {
	return Limits{
		MaxBlockBytes:       64 << 20,
		MaxTxs:              1 << 20,
		MaxTxBytes:          4 << 20,
		MaxCertificateBytes: 1 << 20,
	}
}

// EncodedSize returns the exact length of b's encoding.
func (b *Block) EncodedSize() int {
	n := 1 + HeaderSize + len(Signature{}) + uvarintLen(uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		n += uvarintLen(uint64(len(tx))) + len(tx)
	}
	return n + uvarintLen(uint64(len(b.Certificate))) + len(b.Certificate)
}

// AppendEncoding appends the block's encoding to dst.
func (b *Block) AppendEncoding(dst []byte) []byte {
	dst = append(dst, FormatVersion)
	dst = b.AppendCanonical(dst)
	dst = append(dst, b.Signature[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(b.Txs)))
	for _, tx := range b.Txs {
		dst = binary.AppendUvarint(dst, uint64(len(tx)))
		dst = append(dst, tx...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b.Certificate)))
	return append(dst, b.Certificate...)
}

// Encode returns the block's encoding in a buffer of exactly the right size.
func (b *Block) Encode() []byte { return b.AppendEncoding(make([]byte, 0, b.EncodedSize())) }

// Decode parses an encoded block. The returned block's transactions and
// certificate alias data, which the caller must not modify afterwards.
// Decode checks the structure only; call Check for signatures and roots.
func Decode(data []byte, lim Limits) (*Block, error) {
	if len(data) > lim.MaxBlockBytes {
		return nil, &Error{Reason: ReasonTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(data), lim.MaxBlockBytes)}
	}
	r := reader{buf: data}
	if v := r.byte(); r.err == nil && v != FormatVersion {
		return nil, &Error{Reason: ReasonVersion, Detail: fmt.Sprintf("version %d", v)}
	}
	hb := r.bytes(HeaderSize)
	sig := r.bytes(len(Signature{}))
	if r.err != nil {
		return nil, r.err
	}
	b := &Block{SignedHeader: SignedHeader{Header: decodeHeader(hb)}}
	copy(b.Signature[:], sig)
	n := r.count(lim.MaxTxs, "transaction count")
	if n > 0 {
		b.Txs = make([][]byte, n)
	}
	for i := range b.Txs {
		b.Txs[i] = r.bytes(r.count(lim.MaxTxBytes, "transaction length"))
	}
	if c := r.count(lim.MaxCertificateBytes, "certificate length"); c > 0 {
		b.Certificate = r.bytes(c)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.buf) != 0 {
		return nil, &Error{Reason: ReasonTrailing, Detail: fmt.Sprintf("%d bytes", len(r.buf))}
	}
	return b, nil
}

// SignedHeaderSize is the length of an encoded SignedHeader.
const SignedHeaderSize = 1 + HeaderSize + len(Signature{})

// AppendEncoding appends the signed header's encoding (version, header bytes,
// signature) to dst.
func (s *SignedHeader) AppendEncoding(dst []byte) []byte {
	dst = append(dst, FormatVersion)
	dst = s.AppendCanonical(dst)
	return append(dst, s.Signature[:]...)
}

// DecodeSignedHeader parses what SignedHeader.AppendEncoding wrote.
func DecodeSignedHeader(data []byte) (SignedHeader, error) {
	var s SignedHeader
	if len(data) != SignedHeaderSize {
		reason := ReasonTruncated
		if len(data) > SignedHeaderSize {
			reason = ReasonTrailing
		}
		return s, &Error{Reason: reason, Detail: fmt.Sprintf("signed header of %d bytes, want %d", len(data), SignedHeaderSize)}
	}
	if data[0] != FormatVersion {
		return s, &Error{Reason: ReasonVersion, Detail: fmt.Sprintf("version %d", data[0])}
	}
	s.Header = decodeHeader(data[1 : 1+HeaderSize])
	copy(s.Signature[:], data[1+HeaderSize:])
	return s, nil
}

// reader parses with sticky errors, so a decoder reads straight through and
// checks once.
type reader struct {
	buf []byte
	err error
}

func (r *reader) fail(reason Reason, detail string) {
	if r.err == nil {
		r.err = &Error{Reason: reason, Detail: detail}
	}
	r.buf = nil
}

func (r *reader) byte() byte {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.buf) {
		r.fail(ReasonTruncated, fmt.Sprintf("need %d bytes, have %d", n, len(r.buf)))
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// count reads a uvarint that must be at most limit and, since every counted
// item takes at least one byte, at most the bytes left: this bounds any
// allocation by the input's size.
func (r *reader) count(limit int, what string) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(ReasonTruncated, what)
		return 0
	}
	if n != uvarintLen(v) {
		r.fail(ReasonNonCanonical, what+" is not minimally encoded")
		return 0
	}
	r.buf = r.buf[n:]
	if v > uint64(limit) {
		r.fail(ReasonTooLarge, fmt.Sprintf("%s %d, limit %d", what, v, limit))
		return 0
	}
	if v > uint64(len(r.buf)) {
		r.fail(ReasonTruncated, fmt.Sprintf("%s %d with %d bytes left", what, v, len(r.buf)))
		return 0
	}
	return int(v)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
