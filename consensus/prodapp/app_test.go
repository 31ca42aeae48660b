package prodapp

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
)

type producer struct {
	key ed25519.PrivateKey
	pub block.PublicKey
}

func newProducer(t *testing.T) producer {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var k block.PublicKey
	copy(k[:], pub)
	return producer{key: key, pub: k}
}

// mapState is a chain.StateReader over a map.
type mapState map[string][]byte

func (m mapState) Get(k []byte) ([]byte, bool, error) { v, ok := m[string(k)]; return v, ok, nil }

var chainID = block.ID{7}

func genesisOf(t *testing.T, ps ...producer) *prodset.Set {
	t.Helper()
	ms := make([]prodset.Member, len(ps))
	for i, p := range ps {
		ms[i] = prodset.Member{Key: p.pub, Peer: prodset.PeerOfKey(p.pub)}
	}
	s, err := prodset.NewSet(ms)
	require.NoError(t, err)
	return s
}

func changeTx(t *testing.T, c prodset.Change, signers ...producer) []byte {
	t.Helper()
	sigs := make([]prodset.Signature, len(signers))
	for i, s := range signers {
		sigs[i] = prodset.Sign(chainID, c, s.key)
	}
	tx, err := prodset.EncodeTx(c, sigs)
	require.NoError(t, err)
	return tx
}

// A change signed by a majority of the set in force, with the next nonce,
// yields the next set; the same change again is a replay; a minority's is
// refused with the reason, as a *chain.TxError.
func TestVerifyDecidesAChangeOnTheStateBeforeIt(t *testing.T) {
	a, b, c, d := newProducer(t), newProducer(t), newProducer(t), newProducer(t)
	app := New(chain.NewKV(chain.DefaultKVLimits()), genesisOf(t, a, b, c), chainID, prodset.Quorum{}, nil)
	add := prodset.Change{Op: prodset.OpAdd, Peer: prodset.PeerOfKey(d.pub), Nonce: 1}

	next, nonce, err := app.Verify(mapState{}, changeTx(t, add, a, b))
	require.NoError(t, err)
	require.Equal(t, uint64(1), nonce)
	require.Equal(t, 4, next.Len())

	var te *chain.TxError
	_, _, err = app.Verify(mapState{}, changeTx(t, add, a))
	require.ErrorAs(t, err, &te)
	require.Equal(t, string(prodset.ReasonNoQuorum), te.Reason, "one of three is no majority")

	st := mapState{string(prodset.SetKey): next.Encode(), string(prodset.NonceKey): prodset.EncodeNonce(1)}
	_, _, err = app.Verify(st, changeTx(t, add, a, b))
	require.ErrorAs(t, err, &te)
	require.Equal(t, string(prodset.ReasonReplayed), te.Reason)
}

// The stateless check refuses what no state can accept (malformed, the
// unsigned version 2) and passes everything else to the App's validator;
// executing, the wrapper refuses KV writes under the reserved prefix.
func TestValidatorAndReservedKeys(t *testing.T) {
	v := Validator(func([]byte) error { return chain.ErrTxRejected })
	require.ErrorIs(t, v([]byte("kv")), chain.ErrTxRejected, "other transactions go to the App's validator")
	var te *chain.TxError
	require.ErrorAs(t, v([]byte(prodset.LegacyTxPrefix+"\x02\x05abcde\x01")), &te)
	require.Equal(t, string(prodset.ReasonUnsigned), te.Reason)
	require.ErrorAs(t, v([]byte(prodset.TxPrefix+"\x09")), &te)
	require.Equal(t, string(prodset.ReasonMalformed), te.Reason)
	require.NoError(t, Validator(nil)([]byte("kv")))

	kv := chain.DefaultKVLimits()
	app := New(chain.NewKV(kv), genesisOf(t, newProducer(t)), chainID, prodset.Quorum{}, &kv)
	ex, err := app.StartBlock(nil, &block.Header{})
	require.NoError(t, err)
	err = ex.ApplyTx(chain.AppendKVTx(nil, chain.KVOp{Kind: chain.KVSet, Key: prodset.SetKey, Value: []byte("x")}))
	require.ErrorAs(t, err, &te)
	require.Equal(t, "reserved-key", te.Reason)
}
