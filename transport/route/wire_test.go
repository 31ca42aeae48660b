package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleMessages() []Msg {
	var id NodeID
	id[0], id[31] = 7, 9
	return []Msg{
		&Hello{Interval: 250, TS: 123456},
		&Hello{Interval: 250, TS: 1, Echo: true, EchoTS: 99, EchoDelay: 1000},
		&Update{Dest: id, RouterID: 42, Seqno: 65535, Metric: 300},
		&Update{Dest: id, RouterID: 42, Seqno: 3, Metric: 0, Signed: true, Sig: [64]byte{1, 2, 3}},
		&Update{Dest: id, RouterID: 42, Seqno: 3, Metric: Infinity},
		&SeqnoRequest{Dest: id, RouterID: 1, Seqno: 2, Hops: 64},
		&RouteRequest{Dest: id},
		&Data{Class: ClassConsensus, HopLimit: 32, Origin: id, Seq: 1 << 40, Dests: []NodeID{id, {1}, {2}},
			Remaining: []byte{0b101}, Payload: []byte("hello"), Sig: [64]byte{9}},
		&Data{Class: ClassApp, HopLimit: 1, Origin: id, Seq: 5, Dests: make([]NodeID, 9),
			Remaining: []byte{0, 1}, Payload: []byte{}},
		&Reply{Class: ClassTransaction, HopLimit: 32, Replier: id, To: NodeID{3}, Seq: 1 << 41, Payload: []byte("ok"), Sig: [64]byte{4}},
		&Reply{Class: ClassApp, HopLimit: 1, Replier: id, To: id, Seq: 0, Payload: []byte{}},
		&Update{Dest: id, RouterID: 42, Seqno: 4, Metric: 9, Signed: true, Sig: [64]byte{5},
			Attrs: &Attrs{Level: 2, Labels: map[string]string{"operator": "acme", "region": "eu-west 1"}}},
		&Update{Dest: id, RouterID: 42, Seqno: 5, Metric: 0, Signed: true, Attrs: &Attrs{Level: 0}},
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		b := m.AppendTo(nil)
		require.Len(t, b, m.Size(), "%T", m)
		got, err := Decode(b, DefaultLimits())
		require.NoError(t, err, "%T", m)
		require.Equal(t, m, got)
		require.Equal(t, b, got.AppendTo(nil))
	}
}

func TestDecodeIsStrict(t *testing.T) {
	lim := DefaultLimits()
	for _, m := range sampleMessages() {
		b := m.AppendTo(nil)
		_, err := Decode(append(b, 0), lim)
		require.ErrorIs(t, err, ErrPeer, "%T with a trailing byte", m)
		_, err = Decode(b[:len(b)-1], lim)
		require.ErrorIs(t, err, ErrPeer, "%T truncated", m)
	}
	bad := [][]byte{
		nil,
		{3, 1},
		{Version, 0},
		{Version, 99},
		append([]byte{Version, 1, 0x80}, make([]byte, helloLen-3)...),           // unknown hello flag
		append([]byte{Version, 2, 0x04}, make([]byte, updateLen-3)...),          // unknown update flag
		append([]byte{Version, 2, 0x02}, make([]byte, updateLen+4-3)...),        // attributes without a signature
		append([]byte{Version, 3}, make([]byte, seqnoRequestLen-2)...),          // zero hops
		append([]byte{Version, 1, 0, 0, 0}, make([]byte, helloLen-5)...),        // zero interval
		append([]byte{Version, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 0, 0, 0, 0), // echo fields without flag
		// Version 1 (no attributes) is refused, not misread.
		append([]byte{1, 2, 0x01}, make([]byte, updateLen+sigLen-3)...),
	}
	for i, b := range bad {
		_, err := Decode(b, lim)
		require.ErrorIs(t, err, ErrPeer, "case %d", i)
	}
	d := sampleMessages()[7].(*Data)
	d.Remaining = []byte{0b1000} // bit past the 3 destinations
	_, err := Decode(d.AppendTo(nil), lim)
	require.ErrorContains(t, err, "beyond")
	d.Remaining = []byte{0}
	_, err = Decode(d.AppendTo(nil), lim)
	require.ErrorContains(t, err, "empty remaining")
	small := Limits{MaxPayload: 4, MaxDests: 2}
	_, err = Decode(sampleMessages()[7].AppendTo(nil), small)
	require.ErrorContains(t, err, "destinations")
}

// The payload length is checked against the limit before allocation: a
// frame claiming 4 GiB is refused from its header alone.
func TestDecodeChecksLengthsBeforeAllocating(t *testing.T) {
	d := sampleMessages()[7].(*Data)
	b := d.AppendTo(nil)
	off := 46 + 32*3 + 1
	b[off], b[off+1], b[off+2], b[off+3] = 0xff, 0xff, 0xff, 0xff
	_, err := Decode(b, DefaultLimits())
	require.ErrorContains(t, err, "above limit")
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(m.AppendTo(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, DefaultLimits())
		if err != nil {
			require.ErrorIs(t, err, ErrPeer)
			return
		}
		// Whatever decodes re-encodes to the same bytes: one encoding per
		// message.
		require.Equal(t, b, m.AppendTo(nil))
		require.Equal(t, len(b), m.Size())
	})
}
