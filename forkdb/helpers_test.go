package forkdb_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// chainBuilder makes unsigned headers: forkdb trusts its caller to have
// checked signatures, so tests need only the linkage fields.
type chainBuilder struct{ salt int64 }

func (c *chainBuilder) child(parent block.SignedHeader, term uint64) block.SignedHeader {
	c.salt++
	return block.SignedHeader{Header: block.Header{
		Height: parent.Height + 1, Parent: parent.ID(), Term: term, Timestamp: c.salt,
	}}
}

func genesis() block.SignedHeader {
	return block.SignedHeader{Header: block.Header{Height: 1}}
}

// extend inserts n blocks on top of from with the given term and returns them.
func (c *chainBuilder) extend(t testing.TB, tree *forkdb.Tree, from block.SignedHeader, term uint64, n int) []block.SignedHeader {
	t.Helper()
	out := make([]block.SignedHeader, n)
	for i := range out {
		from = c.child(from, term)
		require.NoError(t, tree.Insert(from))
		out[i] = from
	}
	return out
}
