package bftchain

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// A certificate that comes on its own makes its block final at once when
// the block is pending, or when the block arrives after it; it is
// verified like a carried one, and a refused one changes nothing. Fails
// on the old code: a follower learned finality only from a later block's
// body (AddCert did not exist).
func TestFollowerAddCert(t *testing.T) {
	g, err := block.Seal(block.Header{Height: 1}, nil, nil, key(0))
	require.NoError(t, err)
	set := keys(0, 1, 2, 3)
	f, err := NewFollower(chainID, g.ID(), set, 16)
	require.NoError(t, err)
	e4, _ := NewEpoch(set, nil)
	b := &builder{t: t}

	// The block is pending: its certificate finalizes it and its parent.
	b1 := b.add(g, 1, nil)
	b2 := b.add(b1, 2, nil)
	for _, blk := range []*block.Block{b1, b2} {
		_, err = f.Add(blk)
		require.NoError(t, err)
	}
	got, err := f.AddCert(EncodeCert(e4.Tag, sign(t, e4, 2, b2.ID(), 0, 1, 2)))
	require.NoError(t, err)
	require.Equal(t, []block.ID{b1.ID(), b2.ID()}, got)
	require.Equal(t, b2.ID(), f.Final())

	// Refusals change nothing: a forged signature, an unknown set, too few.
	b3 := b.add(b2, 3, nil)
	_, err = f.Add(b3)
	require.NoError(t, err)
	forged := sign(t, e4, 3, b3.ID(), 0, 1, 2)
	forged.Sigs[1][0] ^= 1
	_, err = f.AddCert(EncodeCert(e4.Tag, forged))
	require.Equal(t, ReasonBadCert, ReasonOf(err))
	_, err = f.AddCert(EncodeCert(e4.Tag, sign(t, e4, 3, b3.ID(), 0, 1)))
	require.Equal(t, ReasonBadCert, ReasonOf(err), "two of four are no quorum")
	stranger, _ := NewEpoch(keys(5, 6, 7, 8), nil)
	_, err = f.AddCert(EncodeCert(stranger.Tag, sign(t, stranger, 3, b3.ID(), 0, 1, 2)))
	require.Equal(t, ReasonUnknownSet, ReasonOf(err))
	_, err = f.AddCert([]byte{1, 2, 3})
	require.Equal(t, ReasonMalformed, ReasonOf(err))
	require.Equal(t, b2.ID(), f.Final())

	// The certificate before the block: kept, applied when b4 arrives.
	b4 := b.add(b3, 4, nil)
	got, err = f.AddCert(EncodeCert(e4.Tag, sign(t, e4, 4, b4.ID(), 1, 2, 3)))
	require.NoError(t, err)
	require.Empty(t, got)
	require.Equal(t, b2.ID(), f.Final())
	got, err = f.Add(b4)
	require.NoError(t, err)
	require.Equal(t, []block.ID{b3.ID(), b4.ID()}, got)

	// An older certificate after a newer one, and one below the final
	// block, teach nothing.
	b5 := b.add(b4, 5, nil)
	b6 := b.add(b5, 6, nil)
	_, err = f.AddCert(EncodeCert(e4.Tag, sign(t, e4, 6, b6.ID(), 0, 1, 2)))
	require.NoError(t, err)
	got, err = f.AddCert(EncodeCert(e4.Tag, sign(t, e4, 5, b5.ID(), 0, 1, 2)))
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = f.AddCert(EncodeCert(e4.Tag, sign(t, e4, 2, b2.ID(), 0, 1, 2)))
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = f.Add(b5)
	require.NoError(t, err)
	got, err = f.Add(b6)
	require.NoError(t, err)
	require.Equal(t, []block.ID{b5.ID(), b6.ID()}, got, "the newer certificate covers its ancestors")
}
