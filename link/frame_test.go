package link

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestPreamble(t *testing.T) {
	for l := range Lane(NumLanes) {
		var b [preambleLen]byte
		copy(b[:], appendPreamble(nil, l))
		got, err := parsePreamble(b)
		require.NoError(t, err)
		require.Equal(t, l, got)
	}
	cases := map[[4]byte]Reason{
		{'X', 'W', WireVersion, 0}: ReasonDecode,
		{'B', 'W', 99, 0}:          ReasonProtocol,
		{'B', 'W', WireVersion, 4}: ReasonUnknownLane,
	}
	for in, want := range cases {
		_, err := parsePreamble(in)
		var f *peerFault
		require.ErrorAs(t, err, &f)
		require.Equal(t, want, f.reason, "%x", in)
	}
}

func TestFrameRules(t *testing.T) {
	read := func(lane Lane, b []byte) error {
		br := bufio.NewReader(bytes.NewReader(b))
		_, _, _, err := (&frameReader{r: br, full: br, lane: lane, maxMsg: 1024}).header()
		return err
	}
	reason := func(err error) Reason {
		var f *peerFault
		if errors.As(err, &f) {
			return f.reason
		}
		return ""
	}
	require.NoError(t, read(LaneBlocks, appendHeader(nil, frameMsg, 1024)))
	require.Equal(t, ReasonOversize, reason(read(LaneBlocks, appendHeader(nil, frameMsg, 1025))))
	require.Equal(t, ReasonDecode, reason(read(LaneRouting, appendHeader(nil, 0x7f, 1))))
	require.NoError(t, read(LaneConsensus, appendCredit(nil, LaneBlocks, 5)))
	require.Equal(t, ReasonProtocol, reason(read(LaneBlocks, appendCredit(nil, LaneBlocks, 5))))
	require.Equal(t, ReasonProtocol, reason(read(LaneSync, appendPing(nil, framePing, 1))))
	require.Equal(t, ReasonProtocol, reason(read(LaneRouting, appendGoAway(nil, ReasonFlood, "x"))))
	require.ErrorIs(t, read(LaneConsensus, []byte{frameMsg}), io.ErrUnexpectedEOF)
	// A length that overflows a uvarint is a decode error, not a panic.
	require.Equal(t, ReasonDecode, reason(read(LaneConsensus, append([]byte{frameMsg}, bytes.Repeat([]byte{0xff}, 11)...))))

	_, _, err := parseCredit([]byte{byte(LaneRouting), 1})
	require.Equal(t, ReasonProtocol, reason(err))
	_, _, err = parseCredit([]byte{9, 1})
	require.Equal(t, ReasonUnknownLane, reason(err))
	_, _, err = parseCredit([]byte{byte(LaneSync), 0})
	require.Equal(t, ReasonDecode, reason(err))
	l, n, err := parseCredit(appendCredit(nil, LaneSync, 1<<20)[2:])
	require.NoError(t, err)
	require.Equal(t, LaneSync, l)
	require.EqualValues(t, 1<<20, n)

	r, d := parseGoAway(appendGoAway(nil, ReasonDuplicate, "dup")[2:])
	require.Equal(t, ReasonDuplicate, r)
	require.Equal(t, "dup", d)
	long := appendGoAway(nil, ReasonApplication, string(bytes.Repeat([]byte{'x'}, 1000)))
	require.NoError(t, read(LaneConsensus, long), "GOAWAY detail is truncated to fit")
}

// FuzzFrames feeds arbitrary bytes to the decoder of every lane: it must
// return an error or frames within the limits, and never panic.
func FuzzFrames(f *testing.F) {
	f.Add(byte(0), appendPing(appendCredit(nil, LaneBlocks, 100), framePing, 7))
	f.Add(byte(2), append(appendHeader(nil, frameMsg, 3), 1, 2, 3))
	f.Add(byte(0), appendGoAway(nil, ReasonBanned, "bye"))
	f.Add(byte(1), []byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, lane byte, data []byte) {
		l := Lane(lane % NumLanes)
		br := bufio.NewReader(bytes.NewReader(data))
		fr := &frameReader{r: br, full: br, lane: l, maxMsg: 4096}
		for range 64 {
			typ, n, hdr, err := fr.header()
			if err != nil {
				return
			}
			require.LessOrEqual(t, n, 4096)
			require.Positive(t, hdr)
			p := make([]byte, n)
			if _, err := io.ReadFull(br, p); err != nil {
				return
			}
			switch typ {
			case frameCredit:
				_, _, _ = parseCredit(p)
			case frameGoAway:
				_, _ = parseGoAway(p)
			}
		}
	})
}

func TestFrameLengthsMustBeMinimallyEncoded(t *testing.T) {
	// A MSG frame of length 1 written as the two-byte varint 0x81 0x00:
	// the same value, but a longer header than the sender's credit
	// accounting assumes.
	br := bufio.NewReader(bytes.NewReader([]byte{frameMsg, 0x81, 0x00, 'x'}))
	_, _, _, err := (&frameReader{r: br, full: br, lane: LaneBlocks, maxMsg: 1024}).header()
	var f *peerFault
	require.ErrorAs(t, err, &f)
	require.Equal(t, ReasonDecode, f.reason)

	_, _, err = parseCredit([]byte{byte(LaneBlocks), 0x81, 0x00})
	require.ErrorAs(t, err, &f)
	require.Equal(t, ReasonDecode, f.reason)
}

func TestGoAwayDetailIsCutOnACharacterBoundary(t *testing.T) {
	detail := strings.Repeat("é", maxGoAwayDetail) // 2 bytes each
	frame := appendGoAway(nil, ReasonProtocol, detail)
	n, k := binary.Uvarint(frame[1:])
	require.Equal(t, len(frame)-1-k, int(n))
	_, got := parseGoAway(frame[1+k:])
	require.True(t, utf8.ValidString(got), "valid UTF-8")
	require.LessOrEqual(t, len(got), maxGoAwayDetail)
}
