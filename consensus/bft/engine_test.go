package bft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// Simplex (Chan & Pass 2023) §3: "a player votes for at most one block per
// iteration" — here across a restart, with the record replayed.
func TestRestartNeverNotarizesASecondBlockInAView(t *testing.T) {
	f := newFixture(t, 4)
	me := 2
	var recs []Record
	e := f.engine(me, nil)
	b1, b2 := f.block(1, block.ZeroID, 1), f.block(1, block.ZeroID, 2)
	require.NoError(t, e.AddBlock(epoch, b1))
	rd := take(t, e, &recs)
	require.Equal(t, []Vote{*f.vote(me, Notarize, 1, b1.ID)}, votesOf(rd))

	// Crash; restart from the records; the equivocating leader's second
	// block arrives first this time.
	e = f.engine(me, recs)
	require.NoError(t, e.AddBlock(epoch, b2))
	require.NoError(t, e.AddBlock(epoch, b1))
	rd = take(t, e, &recs)
	require.Empty(t, votesOf(rd), "no vote for b2 after notarizing b1")

	// The broken engine (no replay) signs b2: this test can fail.
	bad, err := newEngine(f.config(me), Root{}, recs, epoch, brokenMode{noSafety: true})
	require.NoError(t, err)
	require.NoError(t, bad.AddBlock(epoch, b2))
	require.Contains(t, votesOf(bad.Ready()), *f.vote(me, Notarize, 1, b2.ID))
}

// Simplex's finalize rule: a player that timed out in an iteration (voted
// for ⊥) never sends a finalize vote for it, even once the block is
// notarized — before and after a restart (Ava Simplex #280).
func TestNeverFinalizesANullifiedView(t *testing.T) {
	f := newFixture(t, 4)
	me := 3
	var recs []Record
	e := f.engine(me, nil)
	b := f.block(1, block.ZeroID, 1)
	e.Tick(epoch.Add(time.Second)) // leader timeout: nullify view 1
	rd := take(t, e, &recs)
	require.Equal(t, []Vote{*f.vote(me, Nullify, 1, block.ZeroID)}, votesOf(rd))

	notarization := f.cert(Notarize, 1, b.ID, 0, 1, 2)
	check := func(e *Engine) {
		require.NoError(t, e.Step(epoch.Add(time.Second), 0, Message{Cert: notarization}))
		rd := take(t, e, &recs)
		for _, v := range votesOf(rd) {
			require.NotEqual(t, Finalize, v.Kind, "finalized a nullified view")
		}
		require.Equal(t, uint64(2), e.View(), "the notarization still moves us on")
		require.Len(t, rd.Notarized, 1)
	}
	check(e)
	check(f.engine(me, recs))
}

// The good path at one producer: notarize, finalize on the notarization,
// final on the finalization, the next view's leader asked to propose, and
// records pruned below the root only together with the root record.
func TestOneViewAtOneProducer(t *testing.T) {
	f := newFixture(t, 4)
	me := 2 // leader of view 2
	var recs []Record
	e := f.engine(me, nil)
	b := f.block(1, block.ZeroID, 1)
	require.NoError(t, e.AddBlock(epoch, b))
	take(t, e, &recs)
	for _, s := range []int{0, 1} {
		require.NoError(t, e.Step(epoch, s, Message{Vote: f.vote(s, Notarize, 1, b.ID)}))
	}
	rd := take(t, e, &recs)
	require.Len(t, rd.Notarized, 1)
	require.Contains(t, votesOf(rd), *f.vote(me, Finalize, 1, b.ID))
	require.Equal(t, &ProposeRequest{View: 2, Parent: b.ID}, rd.Propose)
	require.Equal(t, uint64(2), e.View())

	for _, s := range []int{0, 1} {
		require.NoError(t, e.Step(epoch, s, Message{Vote: f.vote(s, Finalize, 1, b.ID)}))
	}
	rd = take(t, e, &recs)
	require.Len(t, rd.Finalized, 1)
	require.True(t, rd.Finalized[0].ForBlock(Finalize, 1, b.ID))
	require.Equal(t, uint64(1), rd.PruneBelow)
	require.Equal(t, Record{Kind: RecRoot, View: 1, Block: b.ID, Cert: rd.Finalized[0]}, rd.Persist[len(rd.Persist)-1])
	require.Equal(t, Root{ID: b.ID, View: 1}, e.Root())

	// Our proposal: the vote leaves with its record.
	b2 := f.block(2, b.ID, 1)
	require.NoError(t, e.Propose(epoch, b2))
	rd = take(t, e, &recs)
	require.Equal(t, []Vote{*f.vote(me, Notarize, 2, b2.ID)}, votesOf(rd))
	require.ErrorIs(t, e.Propose(epoch, f.block(2, b.ID, 2)), ErrRefused, "a second proposal in the view")
}

// Bad input: each refusal has its reason, and nothing refused is counted.
func TestVoteRefusals(t *testing.T) {
	f := newFixture(t, 4)
	e := f.engine(0, nil)
	b := f.block(1, block.ZeroID, 1)
	ok := f.vote(1, Notarize, 1, b.ID)
	bad := *ok
	bad.Sig[0] ^= 1
	outsider := signVote(f.keys[5], f.chain, Notarize, 1, b.ID, 5)
	otherChain := signVote(f.keys[1], block.Hash{1}, Notarize, 1, b.ID, 1)
	for _, tc := range []struct {
		from int
		vote *Vote
		want Reason
	}{
		{1, &bad, ReasonBadSignature},
		{1, &otherChain, ReasonBadSignature},
		{5, &outsider, ReasonNonMember},
		{2, ok, ReasonSignerMismatch},
		{1, &Vote{Kind: Notarize, View: 1, Signer: 1}, ReasonMalformed},
		{1, &Vote{Kind: Nullify, View: 1, Block: b.ID, Signer: 1}, ReasonBadSignature}, // a report: fine, unsigned
		{1, &Vote{Kind: 9, View: 1, Signer: 1}, ReasonMalformed},
		{1, f.vote(1, Notarize, 1+e.cfg.ViewWindow+1, b.ID), ReasonViewTooFar},
	} {
		err := e.Step(epoch, tc.from, Message{Vote: tc.vote})
		require.Equal(t, tc.want, ReasonOf(err), "%v", err)
	}
	require.NoError(t, e.Step(epoch, 1, Message{Vote: ok}))
	require.Equal(t, ReasonDuplicate, ReasonOf(e.Step(epoch, 1, Message{Vote: ok})))
	require.Equal(t, ReasonEquivocation, ReasonOf(e.Step(epoch, 1, Message{Vote: f.vote(1, Notarize, 1, block.ID{0, 0, 0, 0, 0, 0, 0, 1, 9})})))
	require.Equal(t, ReasonMalformed, ReasonOf(e.Step(epoch, 1, Message{})))
	require.False(t, ReasonDuplicate.Penalized())
	require.True(t, ReasonBadSignature.Penalized())

	// Stale: at or below the finalized view.
	require.NoError(t, e.Step(epoch, 1, Message{Cert: f.cert(Finalize, 1, b.ID, 1, 2, 3)}))
	require.Equal(t, ReasonStale, ReasonOf(e.Step(epoch, 2, Message{Vote: f.vote(2, Notarize, 1, b.ID)})))
}

// A byzantine producer voting for every view and block it can name cannot
// grow the engine's state beyond the view window, and an equivocating
// leader cannot make it keep unbounded blocks.
func TestStateIsBounded(t *testing.T) {
	f := newFixture(t, 4)
	e := f.engine(0, nil)
	for v := uint64(1); v < 1_000; v++ {
		var id block.ID
		id[7], id[8], id[9] = 1, byte(v), byte(v>>8)
		_ = e.Step(epoch, 1, Message{Vote: f.vote(1, Notarize, v, id)})
		_ = e.Step(epoch, 1, Message{Vote: f.vote(1, Nullify, v, block.ZeroID)})
	}
	require.LessOrEqual(t, len(e.views), int(e.cfg.ViewWindow)+1)
	for i := range 20 {
		err := e.AddBlock(epoch, f.block(1, block.ZeroID, int64(i)))
		if i >= e.cfg.MaxBlocksPerView {
			require.Equal(t, ReasonTooManyBlocks, ReasonOf(err))
		}
	}
	require.LessOrEqual(t, len(e.blocks), e.cfg.MaxBlocksPerView+1)
	require.Equal(t, ReasonNotLeader, ReasonOf(e.AddBlock(epoch, f.block(2, block.ZeroID, 1).withProducer(f.pubs[0]))))
}

func (b Block) withProducer(p block.PublicKey) Block { b.Producer = p; return b }

// A skipped silent leader costs no timeout: once a leader was silent for
// SkipAfterViews views, we nullify on entering its view.
func TestSilentLeaderIsSkipped(t *testing.T) {
	f := newFixture(t, 4)
	cfg := f.config(0)
	cfg.SkipAfterViews = 4
	e, err := New(cfg, Root{}, nil, epoch)
	require.NoError(t, err)
	// Views 1..8 end by nullification from signers 0, 2, 3; signer 1 is silent.
	for v := uint64(1); v <= 8; v++ {
		require.NoError(t, e.Step(epoch, 0, Message{Cert: f.cert(Nullify, v, block.ZeroID, 0, 2, 3)}))
		for _, s := range []int{2, 3} {
			if v < 8 { // activity: the others vote in the views they are in
				_ = e.Step(epoch, s, Message{Vote: f.vote(s, Nullify, v+1, block.ZeroID)})
			}
		}
	}
	rd := e.Ready()
	require.Equal(t, uint64(9), e.View(), "leader of view 9 is signer 1")
	require.Contains(t, votesOf(rd), *f.vote(0, Nullify, 9, block.ZeroID), "skipped without waiting")
}

// Regression (sweep seed 373): we notarized b1, the quorum notarized the
// equivocating leader's b2, we finalized b2 (allowed: finalize follows the
// notarization); after a restart, the retry must re-send notarize(b1), not
// a notarize for b2 — one field held both blocks and made it a double sign.
func TestRetryAfterRestartResendsTheSameVotes(t *testing.T) {
	f := newFixture(t, 4)
	me := 3
	var recs []Record
	e := f.engine(me, nil)
	b1, b2 := f.block(1, block.ZeroID, 1), f.block(1, block.ZeroID, 2)
	require.NoError(t, e.AddBlock(epoch, b1))
	take(t, e, &recs)
	require.NoError(t, e.Step(epoch, 0, Message{Cert: f.cert(Notarize, 1, b2.ID, 0, 1, 2)}))
	rd := take(t, e, &recs)
	require.Contains(t, votesOf(rd), *f.vote(me, Finalize, 1, b2.ID))

	// Restart inside view 1 (the records' highest view): the engine
	// rebroadcasts what it signed there.
	e = f.engine(me, recs)
	e.Tick(epoch)
	rd = take(t, e, &recs)
	got := votesOf(rd)
	require.Contains(t, got, *f.vote(me, Notarize, 1, b1.ID))
	require.Contains(t, got, *f.vote(me, Finalize, 1, b2.ID))
	require.NotContains(t, got, *f.vote(me, Notarize, 1, b2.ID), "a second notarize in view 1")
	for _, v := range got {
		require.NotEqual(t, Nullify, v.Kind, "nullify after finalize")
	}
}
