package chain

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKVTxRoundTrips(t *testing.T) {
	ops := []KVOp{
		{Kind: KVSet, Key: []byte("k"), Value: []byte("v")},
		{Kind: KVSet, Key: []byte("empty"), Value: []byte{}},
		{Kind: KVDelete, Key: []byte("k")},
	}
	enc := AppendKVTx(nil, ops...)
	got, err := DecodeKVTx(enc, DefaultKVLimits())
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i := range ops {
		require.Equal(t, ops[i].Kind, got[i].Kind)
		require.Equal(t, ops[i].Key, got[i].Key)
		require.Equal(t, len(ops[i].Value), len(got[i].Value))
	}
}

func TestKVTxDecoderRefusesEverythingNonCanonical(t *testing.T) {
	lim := KVLimits{MaxOps: 2, MaxKeyBytes: 4, MaxValueBytes: 4}
	cases := map[string]struct {
		data   []byte
		reason string
	}{
		"empty":                {nil, "malformed"},
		"unknown version":      {[]byte{2, 1, KVDelete, 1, 'k'}, "malformed"},
		"no operations":        {[]byte{1, 0}, "malformed"},
		"too many operations":  {[]byte{1, 3, KVDelete, 1, 'a', KVDelete, 1, 'b', KVDelete, 1, 'c'}, "too-large"},
		"unknown kind":         {[]byte{1, 1, 3, 1, 'k'}, "malformed"},
		"empty key":            {[]byte{1, 1, KVDelete, 0}, "malformed"},
		"key too long":         {[]byte{1, 1, KVDelete, 5, 'a', 'b', 'c', 'd', 'e'}, "too-large"},
		"value too long":       {[]byte{1, 1, KVSet, 1, 'k', 5, 1, 2, 3, 4, 5}, "too-large"},
		"truncated value":      {[]byte{1, 1, KVSet, 1, 'k', 3, 1}, "malformed"},
		"non-minimal uvarint":  {[]byte{1, 1, KVDelete, 0x81, 0x00, 'k'}, "malformed"},
		"trailing bytes":       {[]byte{1, 1, KVDelete, 1, 'k', 0}, "malformed"},
		"count beyond the end": {[]byte{1, 2, KVDelete, 1, 'k'}, "malformed"},
	}
	for name, tc := range cases {
		_, err := DecodeKVTx(tc.data, lim)
		var te *TxError
		require.ErrorAs(t, err, &te, name)
		require.Equal(t, tc.reason, te.Reason, "%s: %v", name, err)
		require.ErrorIs(t, err, ErrTxRejected, name)
	}
}

func FuzzDecodeKVTx(f *testing.F) {
	f.Add(set("key", "value"))
	f.Add(del("key"))
	f.Add(AppendKVTx(nil, KVOp{Kind: KVSet, Key: []byte("a")}, KVOp{Kind: KVDelete, Key: []byte("b")}))
	f.Add([]byte{1, 1, KVDelete, 0x81, 0x00, 'k'})
	lim := KVLimits{MaxOps: 64, MaxKeyBytes: 64, MaxValueBytes: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := DecodeKVTx(data, lim)
		if err != nil {
			require.ErrorIs(t, err, ErrTxRejected)
			return
		}
		require.NotEmpty(t, ops)
		require.LessOrEqual(t, len(ops), lim.MaxOps)
		for _, op := range ops {
			require.NotEmpty(t, op.Key)
			require.LessOrEqual(t, len(op.Key), lim.MaxKeyBytes)
			require.LessOrEqual(t, len(op.Value), lim.MaxValueBytes)
		}
		require.True(t, bytes.Equal(data, AppendKVTx(nil, ops...)), "exactly one encoding per transaction")
	})
}
