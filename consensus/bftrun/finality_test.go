package bftrun

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// Finality publishes the certificates of our own finalized blocks only,
// once each, and bounds what waits. Fails on the old code: no Publish.
func TestFinalityPublishesOurCertificatesOnly(t *testing.T) {
	f := NewFinality(block.Hash{1}, make(chan struct{}, 1))
	f.Commit(Commit{ID: block.ID{1}, Final: true, BlockCert: []byte("theirs")})
	f.Commit(Commit{ID: block.ID{2}, Final: true, Ours: true, BlockCert: []byte("ours")})
	f.Commit(Commit{ID: block.ID{3}, Ours: true}) // a notarization: nothing to publish
	require.Equal(t, [][]byte{[]byte("ours")}, f.Publish())
	require.Empty(t, f.Publish(), "drained")
	for range 2 * maxPublish {
		f.Commit(Commit{Final: true, Ours: true, BlockCert: []byte("x")})
	}
	require.Len(t, f.Publish(), maxPublish)
}
