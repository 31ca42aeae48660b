package node

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoutingWireRoundTrip(t *testing.T) {
	s := &submitMsg{id: 42, hops: 3, tx: []byte("tx")}
	got, err := decodeRouting(s.encode())
	require.NoError(t, err)
	require.Equal(t, s, got)
	r := &replyMsg{id: 7, code: codeRejected, detail: "mempool-full: 10"}
	got, err = decodeRouting(r.encode())
	require.NoError(t, err)
	require.Equal(t, r, got)
}

func FuzzDecodeRouting(f *testing.F) {
	f.Add((&submitMsg{id: 1, hops: 2, tx: []byte{1, 2}}).encode())
	f.Add((&replyMsg{id: 1, code: 1}).encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeRouting(data)
		if err != nil {
			return
		}
		var again []byte
		switch m := m.(type) {
		case *submitMsg:
			again = m.encode()
		case *replyMsg:
			again = m.encode()
		}
		require.Equal(t, data, again, "decode then encode must give the same bytes")
	})
}
