package node

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/route"
)

func TestSubmitWireRoundTrip(t *testing.T) {
	tx, err := decodeSubmit(encodeSubmit([]byte("tx")))
	require.NoError(t, err)
	require.Equal(t, []byte("tx"), tx)
	a := &answerMsg{code: codeNoProducer, leader: route.NodeID{1, 2}, detail: "not the leader"}
	got, err := decodeAnswer(a.encode())
	require.NoError(t, err)
	require.Equal(t, a, got)
	_, err = decodeAnswer((&answerMsg{code: codeTimeout}).encode())
	require.ErrorIs(t, err, errWire, "timeouts are local, never on the wire")
	long := &answerMsg{code: codeRejected, detail: string(make([]byte, 300))}
	got, err = decodeAnswer(long.encode())
	require.NoError(t, err)
	require.Len(t, got.detail, maxDetail)
}

func FuzzDecodeSubmitAndAnswer(f *testing.F) {
	f.Add(encodeSubmit([]byte{1, 2}))
	f.Add((&answerMsg{code: codeAccepted}).encode())
	f.Add((&answerMsg{code: codeRejected, detail: "mempool-full: 10"}).encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if tx, err := decodeSubmit(data); err == nil {
			require.Equal(t, data, encodeSubmit(tx))
		}
		if m, err := decodeAnswer(data); err == nil {
			require.Equal(t, data, m.encode())
		} else {
			require.ErrorIs(t, err, errWire)
		}
	})
}
