package block_test

import (
	"crypto/ed25519"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func testKey(seed byte) ed25519.PrivateKey {
	var s [ed25519.SeedSize]byte
	s[0] = seed
	return ed25519.NewKeyFromSeed(s[:])
}

func sealed(t testing.TB, parent block.ID, txs ...[]byte) *block.Block {
	t.Helper()
	b, err := block.Seal(block.Header{Height: parent.Height() + 1, Parent: parent, Term: 3, Timestamp: 42}, txs, nil, testKey(1))
	require.NoError(t, err)
	return b
}

func TestIDEmbedsHeight(t *testing.T) {
	g := sealed(t, block.ZeroID)
	require.Equal(t, uint64(1), g.ID().Height())
	c := sealed(t, g.ID(), []byte("tx"))
	require.Equal(t, uint64(2), c.ID().Height())
	require.Equal(t, -1, g.ID().Compare(c.ID()), "ids sort by height")
	parsed, err := block.ParseID(c.ID().Hex())
	require.NoError(t, err)
	require.Equal(t, c.ID(), parsed)
}

func TestEveryHeaderFieldChangesTheID(t *testing.T) {
	base := block.Header{Height: 5, Parent: block.ID{0, 0, 0, 0, 0, 0, 0, 4}}
	mutations := []func(h *block.Header){
		func(h *block.Header) { h.Parent[31] ^= 1 },
		func(h *block.Header) { h.Term++ },
		func(h *block.Header) { h.Producer[0] ^= 1 },
		func(h *block.Header) { h.Timestamp++ },
		func(h *block.Header) { h.TxRoot[0] ^= 1 },
		func(h *block.Header) { h.StateRoot[0] ^= 1 },
		func(h *block.Header) { h.Irreversible[31] ^= 1 },
		func(h *block.Header) { h.ProducerSet[0] ^= 1 },
	}
	for i, mutate := range mutations {
		h := base
		mutate(&h)
		require.NotEqual(t, base.ID(), h.ID(), "mutation %d", i)
	}
}

func TestEncodingRoundTrips(t *testing.T) {
	b := sealed(t, block.ZeroID, []byte("a"), []byte{}, make([]byte, 300))
	b.Certificate = []byte("cert")
	enc := b.Encode()
	require.Len(t, enc, b.EncodedSize())
	got, err := block.Decode(enc, block.DefaultLimits())
	require.NoError(t, err)
	require.Equal(t, b.SignedHeader, got.SignedHeader)
	require.Equal(t, b.Txs, got.Txs)
	require.Equal(t, b.Certificate, got.Certificate)
	require.Equal(t, enc, got.Encode(), "one canonical encoding")

	sh, err := block.DecodeSignedHeader(b.SignedHeader.AppendEncoding(nil))
	require.NoError(t, err)
	require.Equal(t, b.SignedHeader, sh)
}

func TestCheckNamesTheReason(t *testing.T) {
	good := sealed(t, block.ZeroID, []byte("tx"))
	require.NoError(t, good.Check())

	cases := map[block.Reason]func(b *block.Block){
		block.ReasonSignature:    func(b *block.Block) { b.Signature[0] ^= 1 },
		block.ReasonTxRoot:       func(b *block.Block) { b.Txs = [][]byte{[]byte("other")} },
		block.ReasonHeight:       func(b *block.Block) { b.Height = 7 },
		block.ReasonIrreversible: func(b *block.Block) { b.Irreversible = b.ID() },
	}
	for want, mutate := range cases {
		b := *good
		mutate(&b)
		err := b.Check()
		require.ErrorIs(t, err, block.ErrInvalid)
		require.Equal(t, want, block.ReasonOf(err), "error %v", err)
	}
}

func TestSignRefusesAnotherProducersKey(t *testing.T) {
	h := block.Header{Height: 1}
	_, err := h.Sign(testKey(9))
	require.ErrorIs(t, err, block.ErrWrongProducerKey)
}

func TestDecodeRejectsMalformedInput(t *testing.T) {
	enc := sealed(t, block.ZeroID, []byte("abc")).Encode()
	lim := block.DefaultLimits()
	cases := []struct {
		name string
		data []byte
		lim  block.Limits
		want block.Reason
	}{
		{"empty", nil, lim, block.ReasonTruncated},
		{"version", append([]byte{9}, enc[1:]...), lim, block.ReasonVersion},
		{"truncated", enc[:len(enc)-2], lim, block.ReasonTruncated},
		{"trailing", append(append([]byte{}, enc...), 0), lim, block.ReasonTrailing},
		{"whole block too large", enc, block.Limits{MaxBlockBytes: 10, MaxTxs: 9, MaxTxBytes: 9}, block.ReasonTooLarge},
		{"too many txs", enc, block.Limits{MaxBlockBytes: 1 << 20, MaxTxs: 0, MaxTxBytes: 9}, block.ReasonTooLarge},
		{"tx too large", enc, block.Limits{MaxBlockBytes: 1 << 20, MaxTxs: 9, MaxTxBytes: 2}, block.ReasonTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := block.Decode(c.data, c.lim)
			require.Equal(t, c.want, block.ReasonOf(err), "error %v", err)
		})
	}
}

func TestDecodeNeverAllocatesMoreThanItsInputClaims(t *testing.T) {
	// A header followed by a transaction count of 2^20 and nothing else must be
	// refused without allocating a million slices.
	enc := sealed(t, block.ZeroID).Encode()
	huge := append(enc[:1+block.HeaderSize+64:1+block.HeaderSize+64], 0x80, 0x80, 0x40)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := block.Decode(huge, block.DefaultLimits())
	runtime.ReadMemStats(&after)
	require.Equal(t, block.ReasonTruncated, block.ReasonOf(err))
	// A decoder that trusted the count would allocate 2^20 slice headers
	// (24 MiB); the bound leaves room for the race detector's own garbage.
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "bytes allocated")
}

func TestTxRootDependsOnOrderAndContent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20; n++ {
		txs := make([][]byte, n)
		for i := range txs {
			txs[i] = []byte{byte(r.IntN(256)), byte(i)}
		}
		root := block.TxRoot(txs)
		if n >= 2 {
			swapped := append([][]byte{}, txs...)
			swapped[0], swapped[1] = swapped[1], swapped[0]
			require.NotEqual(t, root, block.TxRoot(swapped))
			require.NotEqual(t, root, block.TxRoot(txs[:n-1]), "dropping the last tx changes the root")
		}
	}
}

func TestProducerSetHashIgnoresOrderAndDuplicates(t *testing.T) {
	a, b, c := block.PublicKey{1}, block.PublicKey{2}, block.PublicKey{3}
	require.Equal(t, block.ProducerSetHash([]block.PublicKey{a, b}), block.ProducerSetHash([]block.PublicKey{b, a, b}))
	require.NotEqual(t, block.ProducerSetHash([]block.PublicKey{a, b}), block.ProducerSetHash([]block.PublicKey{a, b, c}))
	require.NotEqual(t, block.ProducerSetHash(nil), block.Hash{})
}
