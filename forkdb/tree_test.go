package forkdb_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

func TestLongestChainWinsWithinATerm(t *testing.T) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	a := c.extend(t, tree, g, 1, 3)
	b := c.extend(t, tree, g, 1, 2)
	require.Equal(t, a[2].ID(), tree.HeadID())
	b = append(b, c.extend(t, tree, b[1], 1, 2)...)
	require.Equal(t, b[3].ID(), tree.HeadID(), "the longer branch takes over")
	require.True(t, tree.InBest(b[0].ID()))
	require.False(t, tree.InBest(a[0].ID()))
}

func TestHigherTermBeatsGreaterHeight(t *testing.T) {
	// A new raft leader's first block supersedes the deposed leader's longer
	// branch (DESIGN.md §3: best head = max (term, height, id)).
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	old := c.extend(t, tree, g, 1, 5)
	newer := c.extend(t, tree, old[1], 2, 1)
	require.Equal(t, newer[0].ID(), tree.HeadID())
	removed, added, err := tree.Diff(old[4].ID(), newer[0].ID())
	require.NoError(t, err)
	require.Equal(t, []block.ID{old[4].ID(), old[3].ID(), old[2].ID()}, removed, "newest first")
	require.Equal(t, []block.ID{newer[0].ID()}, added)
}

func TestInsertNamesTheReason(t *testing.T) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	a := c.extend(t, tree, g, 2, 3)
	_, err := tree.SetIrreversible(a[0].ID())
	require.NoError(t, err)

	orphan := c.child(c.child(a[2], 2), 2)
	badHeight := c.child(a[2], 2)
	badHeight.Height = 9
	badTerm := c.child(a[2], 1)
	stale := c.child(g, 2)
	cases := map[forkdb.Reason]block.SignedHeader{
		forkdb.ReasonDuplicate:         a[2],
		forkdb.ReasonUnknownParent:     orphan,
		forkdb.ReasonBadHeight:         badHeight,
		forkdb.ReasonBadTerm:           badTerm,
		forkdb.ReasonBelowIrreversible: stale,
	}
	before := tree.Len()
	for want, h := range cases {
		err := tree.Insert(h)
		require.ErrorIs(t, err, forkdb.ErrRejected)
		require.Equal(t, want, forkdb.ReasonOf(err), "error %v", err)
	}
	require.Equal(t, before, tree.Len(), "rejections change nothing")
}

func TestSetIrreversiblePrunesLosingForksAndDropsAncestors(t *testing.T) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	a := c.extend(t, tree, g, 1, 4)
	b := c.extend(t, tree, a[0], 1, 5) // b is longer: head
	require.Equal(t, b[4].ID(), tree.HeadID())
	pruned, err := tree.SetIrreversible(a[1].ID())
	require.NoError(t, err)
	require.ElementsMatch(t, ids(b), pruned)
	require.Equal(t, a[3].ID(), tree.HeadID(), "the head switches to the surviving branch")
	require.Equal(t, a[1].ID(), tree.RootID())
	require.False(t, tree.Has(g.ID()), "ancestors of the root are dropped")
	require.Equal(t, 3, tree.Len())
	_, ok := tree.Ancestor(a[3].ID(), 1)
	require.False(t, ok, "below the root the tree knows nothing")
}

func TestMarkInvalidBlacklistsTheSubtree(t *testing.T) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	a := c.extend(t, tree, g, 1, 2)
	b := c.extend(t, tree, g, 1, 3)
	removed, err := tree.MarkInvalid(b[1].ID())
	require.NoError(t, err)
	require.ElementsMatch(t, []block.ID{b[1].ID(), b[2].ID()}, removed)
	require.Equal(t, a[1].ID(), tree.HeadID(), "the head moves to the best surviving block")
	require.Equal(t, forkdb.ReasonInvalid, forkdb.ReasonOf(tree.Insert(b[1])))
	require.Equal(t, forkdb.ReasonInvalidAncestor, forkdb.ReasonOf(tree.Insert(c.child(b[2], 1))))
	_, err = tree.MarkInvalid(g.ID())
	require.ErrorIs(t, err, forkdb.ErrRoot)
}

func TestPinRestrictsForkChoice(t *testing.T) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	a := c.extend(t, tree, g, 1, 2)
	b := c.extend(t, tree, g, 1, 4)
	require.NoError(t, tree.Pin(a[0].ID()))
	require.Equal(t, a[1].ID(), tree.HeadID(), "the longer branch b is not viable")
	c.extend(t, tree, b[3], 1, 1)
	require.Equal(t, a[1].ID(), tree.HeadID(), "new blocks outside the pin do not win")
	tree.Unpin()
	require.Equal(t, uint64(6), tree.HeadID().Height())
	require.NoError(t, tree.Pin(a[0].ID()))
	_, err := tree.SetIrreversible(a[1].ID())
	require.NoError(t, err)
	_, pinned := tree.PinnedID()
	require.False(t, pinned, "irreversibility passed the pin")
}

func TestCommonAncestorAndAncestor(t *testing.T) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	a := c.extend(t, tree, g, 1, 5)
	b := c.extend(t, tree, a[1], 1, 2)
	ca, ok := tree.CommonAncestor(a[4].ID(), b[1].ID())
	require.True(t, ok)
	require.Equal(t, a[1].ID(), ca)
	ca, _ = tree.CommonAncestor(a[4].ID(), a[2].ID())
	require.Equal(t, a[2].ID(), ca, "a block is its own descendant")
	anc, ok := tree.Ancestor(b[1].ID(), 2)
	require.True(t, ok)
	require.Equal(t, a[0].ID(), anc)
	_, ok = tree.Ancestor(b[1].ID(), 99)
	require.False(t, ok)
	require.Equal(t, []block.ID{a[2].ID(), b[0].ID()}, tree.Children(a[1].ID()))
}

func ids(hs []block.SignedHeader) []block.ID {
	out := make([]block.ID, len(hs))
	for i, h := range hs {
		out[i] = h.ID()
	}
	return out
}
