package chain

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestAFreshChainStartsAtGenesis(t *testing.T) {
	n := newNode(t)
	g := testGenesis(t)
	require.Equal(t, g.ID(), n.HeadID())
	require.Equal(t, g.ID(), n.IrreversibleID())
	stored, err := n.BlockAt(1)
	require.NoError(t, err)
	require.Equal(t, g.ID(), stored.ID())
	v, ok := get(t, n.IrreversibleState(), "genesis")
	require.True(t, ok, "genesis transactions are executed and committed")
	require.Equal(t, "yes", v)
	checkConsistent(t, n.Chain)
}

func TestProducedBlocksBecomeTheHeadAndCarryTheParentsStateRoot(t *testing.T) {
	n := newNode(t)
	b1 := n.produce(1, set("a", "1"))
	require.Equal(t, b1.ID(), n.HeadID())
	g, _ := n.StateRoot(n.Genesis())
	require.Equal(t, g, b1.StateRoot, "StateRoot is the state after the parent")
	b2 := n.produce(1)
	r1, _ := n.StateRoot(b1.ID())
	require.Equal(t, r1, b2.StateRoot)
	r2, _ := n.StateRoot(b2.ID())
	require.Equal(t, r1, r2, "a block that writes nothing keeps the state root")
	require.Equal(t, n.Genesis(), b2.Irreversible, "the producer's view of the irreversible block")
}

func TestEveryNodeConvergesOnTheProducersStateRoot(t *testing.T) {
	producer, follower := newNode(t), newNode(t)
	var blocks []*block.Block
	for i := range 5 {
		blocks = append(blocks, producer.produce(1, set("k", string(rune('a'+i))), set("n", "x"), del("n")))
	}
	for _, b := range blocks {
		follower.add(b)
	}
	require.Equal(t, producer.HeadID(), follower.HeadID())
	pr, _ := producer.StateRoot(producer.HeadID())
	fr, _ := follower.StateRoot(follower.HeadID())
	require.Equal(t, pr, fr)
	v, _ := get(t, follower.HeadState(), "k")
	require.Equal(t, "e", v)
	_, ok := get(t, follower.HeadState(), "n")
	require.False(t, ok, "a delete after a set in one block deletes")
}

func TestARejectedTransactionIsLeftOutWithoutTrace(t *testing.T) {
	n := newNode(t)
	b, err := n.StartBlock(ProduceParams{Term: 1})
	require.NoError(t, err)
	require.NoError(t, b.ApplyTx(set("a", "1")))
	err = b.ApplyTx([]byte{KVTxVersion, 1, KVSet, 1, 'x'}) // value length missing
	require.ErrorIs(t, err, ErrTxRejected)
	require.NoError(t, b.ApplyTx(set("b", "2")))
	blk, _, err := b.Finish(testKey(1))
	require.NoError(t, err)
	require.Len(t, blk.Txs, 2)
	_, ok := get(t, n.HeadState(), "x")
	require.False(t, ok)
}

func TestRejectedTransactionsAreRolledBackByTheChain(t *testing.T) {
	// An App that writes before failing: the chain's journal, not the App,
	// guarantees the rejected transaction leaves nothing.
	n := newNode(t)
	n.app = writeThenReject{}
	b, err := n.StartBlock(ProduceParams{Term: 1})
	require.NoError(t, err)
	require.ErrorIs(t, b.ApplyTx([]byte("bad")), ErrTxRejected)
	require.NoError(t, b.ApplyTx([]byte("good")))
	_, _, err = b.Finish(testKey(1))
	require.NoError(t, err)
	_, ok := get(t, n.HeadState(), "bad")
	require.False(t, ok)
	v, _ := get(t, n.HeadState(), "good")
	require.Equal(t, "ok", v)
}

// writeThenReject writes the transaction as a key, then rejects "bad".
type writeThenReject struct{}

func (writeThenReject) StartBlock(st *State, h *block.Header) (BlockExec, error) {
	return &wtrExec{st: st, root: h.StateRoot}, nil
}

type wtrExec struct {
	st   *State
	root block.Hash
}

func (e *wtrExec) ApplyTx(tx []byte) error {
	e.st.Set(tx, []byte("ok"))
	if string(tx) == "bad" {
		return &TxError{Reason: "bad"}
	}
	return nil
}

func (e *wtrExec) Finish() (block.Hash, error) { return e.root, nil }

func TestAHigherTermWinsOverALongerBranchAndTheDiffSaysSo(t *testing.T) {
	n := newNode(t)
	g := n.Genesis()
	a1 := n.child(g, 1, set("who", "a"))
	n.add(a1)
	a2 := n.child(a1.ID(), 1)
	n.add(a2)
	b1 := n.child(g, 2, set("who", "b")) // a new leader's first block
	r := n.add(b1)
	require.True(t, r.HeadChanged())
	require.Equal(t, b1.ID(), r.Head)
	require.Equal(t, []block.ID{a2.ID(), a1.ID()}, r.Removed, "newest first")
	require.Equal(t, []block.ID{b1.ID()}, r.Added)
	v, _ := get(t, n.HeadState(), "who")
	require.Equal(t, "b", v, "the head's state follows the fork switch")
	v, _ = get(t, mustView(t, n, a2.ID()), "who")
	require.Equal(t, "a", v, "the losing branch keeps its own state")
}

func mustView(t *testing.T, n *node, id block.ID) *View {
	t.Helper()
	v, err := n.StateAt(id)
	require.NoError(t, err)
	return v
}

func TestSetIrreversibleCommitsStatePrunesForksAndSurvivesReopen(t *testing.T) {
	n := newNode(t)
	g := n.Genesis()
	a1 := n.child(g, 1, set("k", "a1"))
	n.add(a1)
	a2 := n.child(a1.ID(), 1, set("k", "a2"), set("only-a2", "1"))
	n.add(a2)
	b1 := n.child(g, 1, set("k", "b1"))
	n.add(b1)
	a3 := n.child(a2.ID(), 1, del("only-a2"))
	n.add(a3)

	r, err := n.SetIrreversible(a2.ID())
	require.NoError(t, err)
	require.Equal(t, []block.ID{b1.ID()}, r.Pruned)
	require.Equal(t, a2.ID(), n.IrreversibleID())
	has, err := n.Log().Has(b1.ID())
	require.NoError(t, err)
	require.False(t, has, "losing forks are deleted from the log")
	for h, want := range map[uint64]block.ID{1: g, 2: a1.ID(), 3: a2.ID()} {
		id, err := n.Log().IDAt(h)
		require.NoError(t, err)
		require.Equal(t, want, id)
	}
	v, _ := get(t, n.IrreversibleState(), "k")
	require.Equal(t, "a2", v, "the durable state is the irreversible block's")
	_, ok := get(t, n.HeadState(), "only-a2")
	require.False(t, ok, "the head's overlay still applies on top of the durable state")
	checkConsistent(t, n.Chain)

	head := n.HeadID()
	n.reopen()
	require.Equal(t, a2.ID(), n.IrreversibleID())
	require.Equal(t, head, n.HeadID(), "blocks above the irreversible one are reloaded")
	v, _ = get(t, n.IrreversibleState(), "k")
	require.Equal(t, "a2", v)
	_, ok = get(t, n.HeadState(), "only-a2")
	require.False(t, ok)
	checkConsistent(t, n.Chain)
}

func TestIrreversibilityOnAnotherForkSwitchesTheHead(t *testing.T) {
	n := newNode(t)
	g := n.Genesis()
	a1 := n.child(g, 2)
	n.add(a1)
	b1 := n.child(g, 1)
	n.add(b1)
	b2 := n.child(b1.ID(), 1)
	n.add(b2)
	require.Equal(t, a1.ID(), n.HeadID())
	r, err := n.SetIrreversible(b1.ID())
	require.NoError(t, err)
	require.Equal(t, b2.ID(), r.Head)
	require.Equal(t, []block.ID{a1.ID()}, r.Removed)
	require.Equal(t, []block.ID{b1.ID(), b2.ID()}, r.Added)
	require.Equal(t, []block.ID{a1.ID()}, r.Pruned)
	checkConsistent(t, n.Chain)
}

func TestABuilderWhoseParentIsPrunedIsStale(t *testing.T) {
	n := newNode(t)
	g := n.Genesis()
	a1 := n.child(g, 5)
	n.add(a1)
	b, err := n.StartBlock(ProduceParams{Term: 5})
	require.NoError(t, err)
	other := n.child(g, 1)
	n.add(other)
	_, err = n.SetIrreversible(other.ID())
	require.NoError(t, err)
	require.ErrorIs(t, b.ApplyTx(set("a", "b")), ErrStaleBuilder)
	_, _, err = b.Finish(testKey(5))
	require.ErrorIs(t, err, ErrStaleBuilder)
}

func TestABuilderSurvivesItsParentBecomingIrreversible(t *testing.T) {
	n := newNode(t)
	n.produce(1, set("k", "1"))
	b, err := n.StartBlock(ProduceParams{Term: 1})
	require.NoError(t, err)
	_, err = n.SetIrreversible(n.HeadID())
	require.NoError(t, err)
	require.NoError(t, b.ApplyTx(set("k2", "2")))
	blk, r, err := b.Finish(testKey(1))
	require.NoError(t, err)
	require.Equal(t, blk.ID(), r.Head)
	require.Equal(t, n.IrreversibleID(), blk.Irreversible, "the header names the newest irreversible block")
	v, _ := get(t, n.HeadState(), "k")
	require.Equal(t, "1", v)
}

func TestOpeningWithAnotherGenesisFails(t *testing.T) {
	n := newNode(t)
	other, err := block.Seal(block.Header{Height: 1, Timestamp: 7}, nil, nil, testKey(0))
	require.NoError(t, err)
	_, err = Open(n.db, NewKV(DefaultKVLimits()), other, DefaultConfig())
	require.ErrorIs(t, err, ErrGenesisMismatch)
}

func TestMarkInvalidRemovesTheSubtreeFromTreeAndLog(t *testing.T) {
	n := newNode(t)
	a1 := n.produce(1)
	a2 := n.produce(1)
	r, err := n.MarkInvalid(a1.ID())
	require.NoError(t, err)
	require.ElementsMatch(t, []block.ID{a1.ID(), a2.ID()}, r.Pruned)
	require.Equal(t, n.Genesis(), n.HeadID())
	_, err = n.Add(a2)
	require.Equal(t, ReasonInvalid, ReasonOf(err))
	a3 := a2 // a descendant arriving later
	_, err = n.Add(&block.Block{SignedHeader: block.SignedHeader{Header: block.Header{Height: 4, Parent: a3.ID()}}})
	require.Equal(t, ReasonInvalidAncestor, ReasonOf(err))
	checkConsistent(t, n.Chain)
}

func TestPinRestrictsForkChoiceUntilUnpinned(t *testing.T) {
	n := newNode(t)
	g := n.Genesis()
	locked := n.child(g, 1)
	n.add(locked)
	better := n.child(g, 2)
	n.add(better)
	require.Equal(t, better.ID(), n.HeadID())
	r, err := n.Pin(locked.ID())
	require.NoError(t, err)
	require.Equal(t, locked.ID(), r.Head)
	require.Equal(t, []block.ID{better.ID()}, r.Removed)
	r, err = n.Unpin()
	require.NoError(t, err)
	require.Equal(t, better.ID(), r.Head)
}

func TestOpenRefusesConfigWithoutLimits(t *testing.T) {
	n := newNode(t)
	_, err := Open(n.db, NewKV(DefaultKVLimits()), testGenesis(t), Config{})
	require.ErrorContains(t, err, "Config.Limits")
}

// After a leader crash the head can be a block consensus never committed;
// the new leader builds on the committed parent instead, and its higher term
// wins fork choice over the orphan (consensus/cft/API-REQUESTS.md).
func TestABlockBuiltOnANamedParentTakesOverFromAnOrphanHead(t *testing.T) {
	n := newNode(t)
	committed := n.produce(1, set("k", "1"))
	orphan := n.produce(1, set("k", "orphan"))
	require.Equal(t, orphan.ID(), n.HeadID())

	b, err := n.StartBlock(ProduceParams{Term: 2, Parent: committed.ID()})
	require.NoError(t, err)
	require.NoError(t, b.ApplyTx(set("k", "2")))
	blk, res, err := b.Finish(testKey(2))
	require.NoError(t, err)
	require.Equal(t, committed.ID(), blk.Parent)
	require.Equal(t, blk.ID(), res.Head, "the higher term wins")
	require.Equal(t, []block.ID{orphan.ID()}, res.Removed)
	v, _ := get(t, n.HeadState(), "k")
	require.Equal(t, "2", v, "the state follows the new branch")

	_, err = n.StartBlock(ProduceParams{Term: 2, Parent: block.ID{0, 0, 0, 0, 0, 0, 0, 9}})
	require.ErrorIs(t, err, ErrNotFound)
	_, err = n.StartBlock(ProduceParams{Term: 1, Parent: blk.ID()})
	require.Error(t, err, "a term below the parent's is refused")
}
