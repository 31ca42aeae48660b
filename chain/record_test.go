package chain

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestPointerRoundTripsAndRefusesCorruptRecords(t *testing.T) {
	p := Pointer{ID: testGenesis(t).ID(), StateRoot: block.Hash{1, 2, 3}}
	got, err := decodePointer(p.encode())
	require.NoError(t, err)
	require.Equal(t, p, got)
	for name, data := range map[string][]byte{
		"short":       p.encode()[:64],
		"long":        append(p.encode(), 0),
		"version":     append([]byte{2}, p.encode()[1:]...),
		"height zero": Pointer{}.encode(),
	} {
		_, err := decodePointer(data)
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
}

func FuzzDecodePointer(f *testing.F) {
	f.Add(Pointer{ID: block.ID{0, 0, 0, 0, 0, 0, 0, 1}}.encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodePointer(data)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		require.True(t, bytes.Equal(data, p.encode()))
	})
}

// The stored-block decoder is block.Decode (fuzzed in chain/block) plus the
// check that the block is the one its key names.
func FuzzDecodeStoredBlock(f *testing.F) {
	g := testGenesis(f)
	gid := g.ID()
	f.Add(gid[:], g.Encode())
	f.Add(make([]byte, 32), []byte{1, 2, 3})
	l := NewLog(nil, block.DefaultLimits())
	f.Fuzz(func(t *testing.T, key, data []byte) {
		var id block.ID
		copy(id[:], key)
		b, err := l.decodeStored(id, data)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		require.Equal(t, id, b.ID())
	})
}
