package bftchain

import (
	"crypto/ed25519"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/prodset"
)

func key(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	return ed25519.NewKeyFromSeed(seed)
}

func pub(k ed25519.PrivateKey) block.PublicKey {
	var p block.PublicKey
	copy(p[:], k.Public().(ed25519.PublicKey))
	return p
}

func keys(is ...int) []block.PublicKey {
	var out []block.PublicKey
	for _, i := range is {
		out = append(out, pub(key(i)))
	}
	return out
}

var chainID = block.Hash{0xbf}

// sign makes a finalization of id in view by the signers (indexes into the
// epoch's set), as a quorum of producers would.
func sign(t *testing.T, e *Epoch, view uint64, id block.ID, signers ...int) *bft.Certificate {
	t.Helper()
	return signKind(t, bft.Finalize, e, view, id, signers...)
}

// signKind makes a certificate of kind k (no nullifications: they carry
// per-signer reports).
func signKind(t *testing.T, k bft.Kind, e *Epoch, view uint64, id block.ID, signers ...int) *bft.Certificate {
	t.Helper()
	c := &bft.Certificate{Kind: k, View: view, Block: id, SetSize: e.Set.Len()}
	msg := bft.VoteBytes(chainID, k, view, id)
	for _, i := range signers {
		var s block.Signature
		k := e.Set.Key(i)
		for j := range 8 {
			if pub(key(j)) == k {
				copy(s[:], ed25519.Sign(key(j), msg))
			}
		}
		c.Signers = append(c.Signers, i)
		c.Sigs = append(c.Sigs, s)
	}
	return c
}

// The switching rule: plain S → joint(X, S) when X is final; joint → plain
// new set at its first finalization; a second change while joint chains
// joints; no change keeps the epoch.
func TestSuccessorRule(t *testing.T) {
	s, err := NewEpoch(keys(0, 1, 2, 3), nil)
	require.NoError(t, err)
	next, err := s.Successor(keys(3, 2, 1, 0))
	require.NoError(t, err)
	require.Nil(t, next, "the same set (any order) is no change")

	j, err := s.Successor(keys(0, 1, 2, 3, 4))
	require.NoError(t, err)
	require.True(t, j.Joint())
	require.Equal(t, 5, j.Set.Len())
	require.Equal(t, sorted(keys(0, 1, 2, 3)), j.Prev)

	p, err := j.Successor(keys(0, 1, 2, 3, 4))
	require.NoError(t, err)
	require.False(t, p.Joint())
	require.Equal(t, EpochTag(sorted(keys(0, 1, 2, 3, 4)), nil), p.Tag)

	j2, err := j.Successor(keys(1, 2, 3, 4))
	require.NoError(t, err)
	require.True(t, j2.Joint())
	require.Equal(t, sorted(keys(0, 1, 2, 3, 4)), j2.Prev, "the joint set's new half becomes the old")
	require.NotEqual(t, j.Tag, j2.Tag)
}

func TestEpochRecordRoundTrip(t *testing.T) {
	e, err := NewEpoch(keys(4, 1, 2), keys(0, 1))
	require.NoError(t, err)
	root := bft.Root{ID: block.ID{0, 0, 0, 0, 0, 0, 0, 9, 1}, View: 42}
	gotRoot, got, err := DecodeEpoch(EncodeEpoch(root, e))
	require.NoError(t, err)
	require.Equal(t, root, gotRoot)
	require.Equal(t, e.Tag, got.Tag)
	require.True(t, e.Set.Equal(got.Set))
	_, _, err = DecodeEpoch(append(EncodeEpoch(root, e), 0))
	require.Error(t, err)
}

// A block certificate verifies against its own epoch only, and every
// defect is refused with a reason.
func TestBlockCertVerification(t *testing.T) {
	e, err := NewEpoch(keys(0, 1, 2, 3), nil)
	require.NoError(t, err)
	other, err := NewEpoch(keys(0, 1, 2, 3, 4), keys(0, 1, 2, 3))
	require.NoError(t, err)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 5, 7}
	good := EncodeCert(e.Tag, sign(t, e, 9, id, 0, 1, 2))
	c, err := VerifyCert(chainID, good, e)
	require.NoError(t, err)
	require.True(t, c.ForBlock(bft.Finalize, 9, id))

	_, err = VerifyCert(chainID, good, other)
	require.Equal(t, ReasonUnknownSet, ReasonOf(err), "another epoch's set")
	_, err = VerifyCert(block.Hash{1}, good, e)
	require.Equal(t, ReasonBadCert, ReasonOf(err), "another chain")
	_, err = VerifyCert(chainID, EncodeCert(e.Tag, sign(t, e, 9, id, 0, 1)), e)
	require.Equal(t, ReasonBadCert, ReasonOf(err), "no quorum")
	forged := sign(t, e, 9, id, 0, 1, 2)
	forged.Sigs[1][0] ^= 1
	_, err = VerifyCert(chainID, EncodeCert(e.Tag, forged), e)
	require.Equal(t, ReasonBadCert, ReasonOf(err), "a bad signature")
	notar := signKind(t, bft.Notarize, e, 9, id, 0, 1, 2)
	_, err = VerifyCert(chainID, EncodeCert(e.Tag, notar), e)
	require.Equal(t, ReasonBadCert, ReasonOf(err), "a notarization by a quorum (not all) is no finalization")
	fast, err := VerifyCert(chainID, EncodeCert(e.Tag, signKind(t, bft.Notarize, e, 9, id, 0, 1, 2, 3)), e)
	require.NoError(t, err, "a notarization signed by every producer is a fast finalization")
	require.True(t, fast.Finalizes(e.Set, 9, id))
	require.False(t, fast.Finalizes(e.Set, 9, block.ID{1}))
	jointFast := signKind(t, bft.Notarize, other, 9, id, 0, 1, 2, 3, 4)
	_, err = VerifyCert(chainID, EncodeCert(other.Tag, jointFast), other)
	require.Equal(t, ReasonBadCert, ReasonOf(err), "no fast path while joint")
	dup := signKind(t, bft.Notarize, e, 9, id, 0, 1, 2, 3)
	dup.Signers[3], dup.Sigs[3] = 2, dup.Sigs[2]
	_, err = VerifyCert(chainID, EncodeCert(e.Tag, dup), e)
	require.Error(t, err, "a duplicate signer cannot stand in for the missing one")
	bad := append([]byte{2}, good[1:]...)
	_, err = VerifyCert(chainID, bad, e)
	require.Equal(t, ReasonVersion, ReasonOf(err))
	_, err = VerifyCert(chainID, good[:len(good)-1], e)
	require.Equal(t, ReasonMalformed, ReasonOf(err))
}

// chainOf builds blocks on parent, each produced by key 0 with view =
// height, the i-th carrying certs[i] (nil: none) and txs[i].
type builder struct {
	t      *testing.T
	blocks []*block.Block
}

func (b *builder) add(parent *block.Block, view uint64, cert []byte, txs ...[]byte) *block.Block {
	b.t.Helper()
	h := block.Header{Height: parent.Height + 1, Parent: parent.ID(), Term: view}
	blk, err := block.Seal(h, txs, cert, key(0))
	require.NoError(b.t, err)
	b.blocks = append(b.blocks, blk)
	return blk
}

// A follower learns finality from certificates in later blocks only,
// follows a producer-set change into the joint and the new epoch, and
// refuses what it cannot verify without changing its state.
func TestFollower(t *testing.T) {
	g, err := block.Seal(block.Header{Height: 1}, nil, nil, key(0))
	require.NoError(t, err)
	genesis := keys(0, 1, 2, 3)
	f, err := NewFollower(chainID, g.ID(), genesis, 16)
	require.NoError(t, err)
	e4, _ := NewEpoch(genesis, nil)
	b := &builder{t: t}

	ch := prodset.Change{Op: prodset.OpAdd, Peer: prodset.PeerOfKey(pub(key(4))), Nonce: 1}
	tx, err := prodset.EncodeTx(ch, nil)
	require.NoError(t, err)
	b1 := b.add(g, 1, nil, tx)
	b2 := b.add(b1, 2, nil)
	got, err := f.Add(b1)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = f.Add(b2)
	require.NoError(t, err)
	require.Equal(t, g.ID(), f.Final(), "no certificate yet")

	// b3 carries a finalization of b2 by the genesis set: b1 (with the
	// change) and b2 are final; the set is 5 producers.
	b3 := b.add(b2, 3, EncodeCert(e4.Tag, sign(t, e4, 2, b2.ID(), 0, 1, 3)))
	got, err = f.Add(b3)
	require.NoError(t, err)
	require.Equal(t, []block.ID{b1.ID(), b2.ID()}, got)
	require.Equal(t, sorted(keys(0, 1, 2, 3, 4)), f.Producers())

	// The joint epoch's certificates verify now; so do the new set's.
	joint, _ := e4.Successor(keys(0, 1, 2, 3, 4))
	b4 := b.add(b3, 4, EncodeCert(joint.Tag, sign(t, joint, 3, b3.ID(), 0, 1, 2, 3)))
	got, err = f.Add(b4)
	require.NoError(t, err)
	require.Equal(t, []block.ID{b3.ID()}, got)
	plain5, _ := joint.Successor(keys(0, 1, 2, 3, 4))

	// Refusals leave the follower unchanged.
	forged := sign(t, plain5, 4, b4.ID(), 0, 1, 2, 3)
	forged.Sigs[0][3] ^= 1
	_, err = f.Add(b.add(b4, 5, EncodeCert(plain5.Tag, forged)))
	require.Equal(t, ReasonBadCert, ReasonOf(err))
	stranger, _ := NewEpoch(keys(5, 6, 7, 8), nil)
	_, err = f.Add(b.add(b4, 5, EncodeCert(stranger.Tag, sign(t, stranger, 4, b4.ID(), 0, 1, 2))))
	require.Equal(t, ReasonUnknownSet, ReasonOf(err))
	orphan := b.add(&block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 40}}}, 41, nil)
	_, err = f.Add(orphan)
	require.Equal(t, ReasonUnknownParent, ReasonOf(err))
	require.Equal(t, b3.ID(), f.Final())

	b5 := b.add(b4, 5, EncodeCert(plain5.Tag, sign(t, plain5, 4, b4.ID(), 0, 1, 2, 3)))
	got, err = f.Add(b5)
	require.NoError(t, err)
	require.Equal(t, []block.ID{b4.ID()}, got)
}

func FuzzDecodeCert(f *testing.F) {
	e, _ := NewEpoch(keys(0, 1, 2, 3), nil)
	f.Add(EncodeCert(e.Tag, &bft.Certificate{Kind: bft.Finalize, View: 3, Block: block.ID{1}, SetSize: 4, Signers: []int{0, 1, 2}, Sigs: make([]block.Signature, 3)}))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, c, err := DecodeCert(b)
		if err != nil {
			return
		}
		require.Equal(t, b, EncodeCert(tag, c), "one encoding per certificate")
	})
}

func FuzzDecodeEpoch(f *testing.F) {
	e, _ := NewEpoch(keys(0, 1, 2), keys(0, 3))
	f.Add(EncodeEpoch(bft.Root{View: 7}, e))
	f.Fuzz(func(t *testing.T, b []byte) {
		root, e, err := DecodeEpoch(b)
		if err != nil {
			return
		}
		require.Equal(t, root, func() bft.Root { r, _, _ := DecodeEpoch(EncodeEpoch(root, e)); return r }())
	})
}
