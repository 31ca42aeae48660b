package submit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/route"
)

func TestSubmitWireRoundTrip(t *testing.T) {
	tx, err := DecodeSubmit(EncodeSubmit([]byte("tx")))
	require.NoError(t, err)
	require.Equal(t, []byte("tx"), tx)
	a := &Answer{Code: NoProducer, Leader: route.NodeID{1, 2}, Detail: "not the leader"}
	got, err := DecodeAnswer(a.Encode())
	require.NoError(t, err)
	require.Equal(t, a, got)
	_, err = DecodeAnswer((&Answer{Code: Timeout}).Encode())
	require.ErrorIs(t, err, ErrWire, "timeouts are local, never on the wire")
	long := &Answer{Code: Rejected, Detail: string(make([]byte, 300))}
	got, err = DecodeAnswer(long.Encode())
	require.NoError(t, err)
	require.Len(t, got.Detail, MaxDetail)
}

func FuzzDecodeSubmitAndAnswer(f *testing.F) {
	f.Add(EncodeSubmit([]byte{1, 2}))
	f.Add((&Answer{Code: Accepted}).Encode())
	f.Add((&Answer{Code: Rejected, Detail: "mempool-full: 10"}).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if tx, err := DecodeSubmit(data); err == nil {
			require.Equal(t, data, EncodeSubmit(tx))
		}
		if m, err := DecodeAnswer(data); err == nil {
			require.Equal(t, data, m.Encode())
		} else {
			require.ErrorIs(t, err, ErrWire)
		}
	})
}
