package blocksync

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func sampleMsgs() []Msg {
	m := &maker{bodySize: 20}
	g := m.genesis()
	b := m.child(g, 3, 1)
	var key block.PublicKey
	key[5] = 9
	return []Msg{
		&Hello{ID: b.ID(), Head: true, Window: 1 << 20},
		&Hello{ID: g.ID(), Committed: true, Window: 7},
		&Hello{ID: g.ID(), Head: true, Committed: true},
		&Have{Irreversible: g.ID(), Header: b.SignedHeader},
		NewBlock(b),
		&Ack{Bytes: 1<<40 + 3},
		&Prune{Producer: key},
		&Graft{Producer: key, Want: b.ID()},
		&Tied{Block: b.ID(), Payload: []byte("payload")},
		&Tied{Block: b.ID()},
		&Coming{ID: b.ID(), Bytes: 1<<20 + 7},
	}
}

func TestWireRoundTrip(t *testing.T) {
	for _, m := range sampleMsgs() {
		enc := Encode(m)
		require.Len(t, enc, m.Size(), "%s", m.Type())
		require.Equal(t, byte(Version), enc[0])
		require.Equal(t, byte(m.Type()), enc[1])
		got, err := Decode(enc, DefaultLimits())
		require.NoError(t, err, "%s", m.Type())
		require.Equal(t, enc, Encode(got), "%s", m.Type())
		if bm, ok := m.(*Block); ok {
			require.Equal(t, bm.Block.ID(), got.(*Block).Block.ID())
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	hello := Encode(&Hello{})
	bad := func(b []byte, r Reason) {
		t.Helper()
		_, err := Decode(b, DefaultLimits())
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, r, e.Reason)
		require.ErrorIs(t, err, ErrPeer)
	}
	bad(nil, ReasonMalformed)
	bad([]byte{1, 1}, ReasonVersion) // Version 1 peers do not know Coming
	bad([]byte{Version + 1, 1}, ReasonVersion)
	bad([]byte{Version, 99}, ReasonMalformed)
	bad(hello[:len(hello)-1], ReasonMalformed)
	bad(append(hello, 0), ReasonMalformed)
	flags := append([]byte(nil), hello...)
	flags[2+32] = 8
	bad(flags, ReasonMalformed)
	lim := DefaultLimits()
	lim.MaxPayload = 3
	_, err := Decode(Encode(&Tied{Payload: []byte("four")}), lim)
	require.Error(t, err)
	blk := Encode(sampleMsgs()[4])
	bad(blk[:len(blk)-1], ReasonMalformed)
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMsgs() {
		f.Add(Encode(m))
	}
	f.Add([]byte{Version, byte(TypeBlock), 1})
	lim := DefaultLimits()
	lim.Block.MaxBlockBytes = 1 << 16
	lim.MaxPayload = 1 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, lim)
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e)
			return
		}
		// Decoding is strict: the only encoding of a message is its own.
		require.Equal(t, data, Encode(m))
		require.Equal(t, len(data), m.Size())
	})
}
