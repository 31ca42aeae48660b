package chain

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

// A stored block's header is read without its body: Header answers for
// irreversible and live blocks, and BodyReads does not move (attack 2 of
// issue 11: peers name old, large blocks in hellos).
func TestHeaderReadsNoBody(t *testing.T) {
	n := newNode(t)
	big := string(bytes.Repeat([]byte{'x'}, 60000))
	var txs [][]byte
	for i := range 16 {
		txs = append(txs, set(fmt.Sprint("big", i), big))
	}
	old := n.produce(1, txs...)
	live := n.produce(1)
	_, err := n.SetIrreversible(old.ID())
	require.NoError(t, err)
	before := n.Log().BodyReads()
	for range 100 {
		h, err := n.Header(old.ID())
		require.NoError(t, err)
		require.Equal(t, old.SignedHeader, h)
		h, err = n.Header(live.ID())
		require.NoError(t, err)
		require.Equal(t, live.SignedHeader, h)
		has, err := n.Log().Has(old.ID())
		require.NoError(t, err)
		require.True(t, has)
	}
	require.Equal(t, before, n.Log().BodyReads(), "header lookups read no body")
	_, err = n.Log().Block(old.ID())
	require.NoError(t, err)
	require.Equal(t, before+1, n.Log().BodyReads())
	_, err = n.Header(n.child(live.ID(), 1).ID())
	require.ErrorIs(t, err, ErrNotFound)
}

// Blocks dropped from the log (losing forks at irreversibility) lose their
// header record in the same batch.
func TestPrunedBlocksLoseTheirHeaders(t *testing.T) {
	n := newNode(t)
	a := n.produce(1)
	fork := n.child(n.Genesis(), 2)
	n.add(fork)
	_, err := n.Header(fork.ID())
	require.NoError(t, err)
	_, err = n.SetIrreversible(a.ID())
	require.NoError(t, err)
	_, err = n.Header(fork.ID())
	require.ErrorIs(t, err, ErrNotFound)
	has, err := n.Log().Has(fork.ID())
	require.NoError(t, err)
	require.False(t, has)
}

// A database written before the header index existed (no 'H' records, no
// marker) gets the index at open, and then verifies.
func TestOpenBuildsTheHeaderIndexOfAnOldDatabase(t *testing.T) {
	n := newNode(t)
	a := n.produce(1)
	b := n.produce(1)
	_, err := n.SetIrreversible(a.ID())
	require.NoError(t, err)
	require.NoError(t, n.db.DeleteRange([]byte{prefixHeader}, prefixEnd(prefixHeader), pebble.Sync))
	require.NoError(t, n.db.Delete(metaHeaderIndex(), pebble.Sync))
	_, err = n.Header(a.ID())
	require.ErrorIs(t, err, ErrNotFound, "the old database has no index")

	n.reopen()
	h, err := n.Header(a.ID())
	require.NoError(t, err)
	require.Equal(t, a.SignedHeader, h)
	h, err = n.Header(b.ID())
	require.NoError(t, err)
	require.Equal(t, b.SignedHeader, h)
	h, err = n.Header(n.Genesis())
	require.NoError(t, err)
	require.Equal(t, testGenesis(t).SignedHeader, h)
	require.NoError(t, n.Log().Verify(n.Genesis()))
	require.Equal(t, b.ID(), n.HeadID())
}
