package bftrun

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftchain"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// Every envelope type round-trips, and a proposal whose vote names
// another block or view is malformed.
func TestEnvelopeRoundTrip(t *testing.T) {
	tag := bftchain.Tag{7}
	b, err := block.Seal(block.Header{Height: 2, Parent: block.ID{0, 0, 0, 0, 0, 0, 0, 1}, Term: 5}, [][]byte{[]byte("tx")}, []byte("cert"), testKey(0))
	require.NoError(t, err)
	v := &bft.Vote{Kind: bft.Notarize, View: 5, Block: b.ID(), Signer: 2}
	env, err := decodeEnvelope(encodeProposal(tag, v, b), block.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, byte(typeProposal), env.typ)
	require.Equal(t, b.ID(), env.block.ID())
	require.Equal(t, *v, *env.msg.Vote)

	wrong := *v
	wrong.View = 6
	_, err = decodeEnvelope(encodeProposal(tag, &wrong, b), block.DefaultLimits())
	require.Equal(t, bft.ReasonMalformed, bft.ReasonOf(err))

	n := &bft.Vote{Kind: bft.Nullify, View: 9, Signer: 1}
	env, err = decodeEnvelope(encodeMessage(tag, bft.Message{Vote: n}), block.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, tag, env.epoch)
	require.Equal(t, *n, *env.msg.Vote)
}

func FuzzDecodeEnvelope(f *testing.F) {
	var tag [32]byte
	b, _ := block.Seal(block.Header{Height: 2, Parent: block.ID{0, 0, 0, 0, 0, 0, 0, 1}, Term: 5}, nil, nil, testKey(0))
	f.Add(encodeProposal(tag, &bft.Vote{Kind: bft.Notarize, View: 5, Block: b.ID()}, b))
	f.Add(encodeMessage(tag, bft.Message{Vote: &bft.Vote{Kind: bft.Nullify, View: 1}}))
	f.Add(encodeMessage(tag, bft.Message{Cert: &bft.Certificate{Kind: bft.Nullify, View: 1, SetSize: 4, Signers: []int{0, 1, 2}, Sigs: make([]block.Signature, 3)}}))
	lim := block.DefaultLimits()
	lim.MaxBlockBytes = 1 << 16
	f.Fuzz(func(t *testing.T, in []byte) {
		env, err := decodeEnvelope(in, lim)
		if err != nil {
			require.NotEmpty(t, bft.ReasonOf(err), "untyped error %v", err)
			return
		}
		var out []byte
		if env.typ == typeProposal {
			out = encodeProposal(env.epoch, env.msg.Vote, env.block)
		} else {
			out = encodeMessage(env.epoch, env.msg)
		}
		require.Equal(t, in, out, "one encoding per envelope")
	})
}
