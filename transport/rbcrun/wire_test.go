package rbcrun

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	tag := Tag{1, 2, 3, 4, 5, 6, 7, 8}
	m := rbc.Message{Kind: rbc.KindReady, Inst: rbc.Instance{Origin: 2, Seq: 9}, Status: rbc.StatusReady, Signer: 2}
	got, body, err := decodeEnvelope(encode(tag, m))
	require.NoError(t, err)
	require.Equal(t, tag, got)
	dm, err := rbc.DecodeMessage(body, 1<<10)
	require.NoError(t, err)
	require.Equal(t, m.Inst, dm.Inst)

	_, _, err = decodeEnvelope([]byte{1, 2, 3})
	require.Equal(t, rbc.ReasonMalformed, rbc.ReasonOf(err))
	_, _, err = decodeEnvelope(append([]byte{2}, make([]byte, 20)...))
	require.Equal(t, rbc.ReasonVersion, rbc.ReasonOf(err))
}

// FuzzEnvelope: decoding never panics, refusals are typed, and a decoded
// envelope re-encodes to the same bytes.
func FuzzEnvelope(f *testing.F) {
	f.Add(encode(Tag{9}, rbc.Message{Kind: rbc.KindEcho, Inst: rbc.Instance{Seq: 1}, Payload: []byte("p")}))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, body, err := decodeEnvelope(b)
		if err != nil {
			require.NotEmpty(t, rbc.ReasonOf(err))
			return
		}
		re := append(append([]byte{envelopeVersion}, tag[:]...), body...)
		require.True(t, bytes.Equal(b, re))
	})
}
