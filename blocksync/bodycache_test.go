package blocksync

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// The cache encodes a block once however many children it goes to, and a
// new block replaces it.
func TestBodyCacheEncodesEachBlockOnce(t *testing.T) {
	a := &Block{Block: &block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 2}}}}
	b := &Block{Block: &block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 3}}}}
	var c BodyCache
	first := c.Body(a)
	require.Equal(t, Encode(a), first)
	again := c.Body(a)
	require.Same(t, &first[0], &again[0], "the same bytes, not a second encoding")
	other := c.Body(b)
	require.Equal(t, Encode(b), other)
	require.NotEqual(t, first, other)
}
