package link

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf8"
)

// WireVersion is the link wire-protocol version carried in every stream
// preamble. See doc.go for the layout and the compatibility rules.
const WireVersion = 3

// ProtocolID is the libp2p protocol id of every lane stream. The lane is
// named by the preamble, not by the protocol id, so that one id covers all
// lanes and a new lane is a new preamble value, not a new negotiation.
const ProtocolID = "/blockwire/link/3"

const (
	preambleLen = 4
	magic0      = 'B'
	magic1      = 'W'

	frameMsg    byte = 1 // application message
	frameCredit byte = 2 // flow-control grant on a bulk lane
	framePing   byte = 3 // RTT probe, consensus lane
	framePong   byte = 4 // RTT reply, consensus lane
	frameGoAway byte = 5 // reason for closing, consensus lane

	// maxControlPayload bounds every non-message frame.
	maxControlPayload = 256
	// maxHeaderLen is one type byte plus the longest uvarint.
	maxHeaderLen = 1 + binary.MaxVarintLen64
	// maxGoAwayDetail bounds the human-readable detail in a GOAWAY.
	maxGoAwayDetail = 200
)

// appendPreamble appends the 4-byte stream preamble for lane.
func appendPreamble(b []byte, lane Lane) []byte {
	return append(b, magic0, magic1, WireVersion, byte(lane))
}

// lanePreambleLen is a lane stream's preamble: the 4-byte preamble and
// the 8-byte link id that binds the lanes of one link, which may arrive on
// two connections (bulkconn.go).
const lanePreambleLen = preambleLen + 8

// appendLanePreamble appends a lane stream's preamble: lane and link id.
func appendLanePreamble(b []byte, lane Lane, id uint64) []byte {
	return binary.BigEndian.AppendUint64(appendPreamble(b, lane), id)
}

// parseLanePreamble validates a lane stream's preamble and returns its
// lane and link id.
func parseLanePreamble(b [lanePreambleLen]byte) (Lane, uint64, error) {
	l, err := parsePreamble([preambleLen]byte(b[:preambleLen]))
	return l, binary.BigEndian.Uint64(b[preambleLen:]), err
}

// parsePreamble validates a preamble and returns its lane.
func parsePreamble(b [preambleLen]byte) (Lane, error) {
	if b[0] != magic0 || b[1] != magic1 {
		return 0, fault(ReasonDecode, "bad preamble magic %x", b[:2])
	}
	if b[2] != WireVersion {
		return 0, fault(ReasonProtocol, "unsupported wire version %d", b[2])
	}
	l := Lane(b[3])
	if !l.Valid() {
		return 0, fault(ReasonUnknownLane, "lane id %d", b[3])
	}
	return l, nil
}

// appendHeader appends a frame header: type then payload length.
func appendHeader(b []byte, typ byte, n int) []byte {
	b = append(b, typ)
	return binary.AppendUvarint(b, uint64(n))
}

// appendCredit appends a CREDIT frame granting n more bytes on lane.
func appendCredit(b []byte, lane Lane, n int64) []byte {
	var tmp [1 + binary.MaxVarintLen64]byte
	tmp[0] = byte(lane)
	p := 1 + binary.PutUvarint(tmp[1:], uint64(n))
	b = appendHeader(b, frameCredit, p)
	return append(b, tmp[:p]...)
}

// appendPing appends a PING or PONG frame carrying an 8-byte nonce.
func appendPing(b []byte, typ byte, nonce uint64) []byte {
	b = appendHeader(b, typ, 8)
	return binary.BigEndian.AppendUint64(b, nonce)
}

// appendGoAway appends a GOAWAY frame: a reason code and a truncated detail.
func appendGoAway(b []byte, r Reason, detail string) []byte {
	detail = truncateUTF8(detail, maxGoAwayDetail)
	b = appendHeader(b, frameGoAway, 1+len(detail))
	b = append(b, reasonCode(r))
	return append(b, detail...)
}

// frameReader decodes frames from one lane stream. It enforces the size
// limits on the header, before any allocation for the payload.
type frameReader struct {
	r      io.ByteReader
	full   io.Reader
	lane   Lane
	maxMsg int
	// ctl holds a control frame's payload while the core reads it (the
	// core copies what it keeps); an array on readFrame's stack escaped
	// through io.ReadFull, an allocation per CREDIT frame.
	ctl [maxControlPayload]byte
}

// bufferedFirst reads what br has buffered, then straight from the
// stream below it: a message's payload goes from the muxer into the
// message's buffer in one copy, never through br's buffer (bufio bypasses
// its buffer only for reads at least its size that start with it empty,
// and once out of step with the frames every later byte would be copied
// twice). Frame headers still come through br, in batches.
type bufferedFirst struct {
	br  *bufio.Reader
	raw io.Reader
}

func (b bufferedFirst) Read(p []byte) (int, error) {
	if n := b.br.Buffered(); n > 0 {
		return b.br.Read(p[:min(len(p), n)])
	}
	return b.raw.Read(p)
}

// header reads one frame header and checks it against the lane's rules.
// It returns the number of header bytes consumed for credit accounting.
func (fr *frameReader) header() (typ byte, n int, hdrLen int, err error) {
	typ, err = fr.r.ReadByte()
	if err != nil {
		return 0, 0, 0, err
	}
	v, k, err := readUvarint(fr.r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			err = fault(ReasonDecode, "frame length: %v", err)
		}
		return 0, 0, 0, err
	}
	// Both sides count header bytes against credit as 1 + the minimal
	// varint length, so a longer encoding of the same length would make
	// the two sides' accounting drift: refuse it.
	if k != uvarintLen(v) {
		return 0, 0, 0, fault(ReasonDecode, "frame length %d is not minimally encoded", v)
	}
	hdrLen = 1 + uvarintLen(v)
	if err := checkFrame(fr.lane, typ, v, fr.maxMsg); err != nil {
		return 0, 0, 0, err
	}
	return typ, int(v), hdrLen, nil
}

// checkFrame applies the per-type rules of doc.go's frame table.
func checkFrame(lane Lane, typ byte, n uint64, maxMsg int) error {
	switch typ {
	case frameMsg:
		if n > uint64(maxMsg) {
			return fault(ReasonOversize, "%d bytes on lane %s, max %d", n, lane, maxMsg)
		}
		return nil
	case frameCredit:
		if lane != LaneConsensus {
			return fault(ReasonProtocol, "credit frame on lane %s", lane)
		}
		if n < 2 || n > 1+binary.MaxVarintLen64 {
			return fault(ReasonDecode, "credit frame length %d", n)
		}
		return nil
	case framePing, framePong:
		if lane != LaneConsensus || n != 8 {
			return fault(ReasonProtocol, "ping frame on lane %s length %d", lane, n)
		}
		return nil
	case frameGoAway:
		if lane != LaneConsensus || n == 0 || n > maxControlPayload {
			return fault(ReasonProtocol, "goaway frame on lane %s length %d", lane, n)
		}
		return nil
	}
	return fault(ReasonDecode, "unknown frame type %d", typ)
}

// parseCredit decodes a CREDIT payload: a bulk lane and a positive grant.
func parseCredit(p []byte) (Lane, int64, error) {
	l := Lane(p[0])
	if !l.Valid() {
		return 0, 0, fault(ReasonUnknownLane, "credit for lane id %d", p[0])
	}
	if !l.bulk() {
		return 0, 0, fault(ReasonProtocol, "credit for lane %s", l)
	}
	v, k := binary.Uvarint(p[1:])
	if k != len(p)-1 || k != uvarintLen(v) || v == 0 || v > 1<<40 {
		return 0, 0, fault(ReasonDecode, "bad credit %x", p)
	}
	return l, int64(v), nil
}

// parseGoAway decodes a GOAWAY payload.
func parseGoAway(p []byte) (Reason, string) {
	return reasonFromCode(p[0]), string(p[1:])
}

// readUvarint is binary.ReadUvarint that also says how many bytes it read.
func readUvarint(r io.ByteReader) (uint64, int, error) {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, i, err
		}
		if i == binary.MaxVarintLen64-1 && b > 1 {
			return 0, i + 1, errors.New("varint overflows 64 bits")
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, binary.MaxVarintLen64, errors.New("varint overflows 64 bits")
}

// truncateUTF8 cuts s to at most n bytes without splitting a character, so
// the peer's logs get valid text.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
