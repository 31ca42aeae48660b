package bft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// The fast path (doc.go): notarize votes from every producer of a plain
// set make the block final at once, with the full notarization as its
// certificate, the same outputs as a finalization and its RecRoot. Fails
// on the engine before the fast path (it waited for finalize votes).
func TestFastFinalizationOnUnanimousNotarize(t *testing.T) {
	f := newFixture(t, 4)
	me := 2
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
	require.Empty(t, rd.Finalized, "three of four notarize votes are no finalization")

	require.NoError(t, e.Step(epoch, 3, Message{Vote: f.vote(3, Notarize, 1, b.ID)}))
	rd = take(t, e, &recs)
	require.Len(t, rd.Finalized, 1, "the fourth notarize vote finalizes")
	c := rd.Finalized[0]
	require.Equal(t, Notarize, c.Kind)
	require.Equal(t, []int{0, 1, 2, 3}, c.Signers)
	require.NoError(t, c.Verify(f.chain, f.set, Ed25519{}))
	require.True(t, c.Finalizes(f.set, 1, b.ID))
	require.Equal(t, Root{ID: b.ID, View: 1}, e.Root())
	require.Equal(t, Record{Kind: RecRoot, View: 1, Block: b.ID, Cert: c}, rd.Persist[len(rd.Persist)-1])
	require.Contains(t, rd.Messages, Message{Cert: c}, "relayed: the others finalize on it")

	// A producer that saw only the relayed fast certificate (and perhaps an
	// ordinary notarization first) finalizes too; a restart keeps the root.
	other := f.engine(1, nil)
	require.NoError(t, other.Step(epoch, 0, Message{Cert: f.cert(Notarize, 1, b.ID, 0, 2, 3)}))
	require.NoError(t, other.Step(epoch, 0, Message{Cert: c}))
	require.Equal(t, Root{ID: b.ID, View: 1}, other.Root())
	restarted := f.engine(me, recs)
	require.Equal(t, Root{ID: b.ID, View: 1}, restarted.Root())

	// A full-looking notarization with a bad signature finalizes nothing.
	bad := *c
	bad.Sigs = append([]block.Signature(nil), c.Sigs...)
	bad.Sigs[3][0] ^= 1
	third := f.engine(3, nil)
	requireReason(t, third.Step(epoch, 0, Message{Cert: &bad}), ReasonBadSignature)
	require.Equal(t, Root{}, third.Root())
}

// The verifier's side: only exactly the set's members, each once, each
// signature valid, and never under a joint set.
func TestFastCertificateVerification(t *testing.T) {
	f := newFixture(t, 4)
	id := block.ID{0, 0, 0, 0, 0, 0, 0, 1, 7}
	full := f.cert(Notarize, 3, id, 0, 1, 2, 3)
	require.NoError(t, full.Verify(f.chain, f.set, Ed25519{}))
	require.True(t, full.Finalizes(f.set, 3, id))
	require.False(t, full.Finalizes(f.set, 4, id), "another view")
	require.False(t, f.cert(Notarize, 3, id, 0, 1, 2).Finalizes(f.set, 3, id), "a quorum, not all")
	dup := f.cert(Notarize, 3, id, 0, 1, 2, 2)
	requireReason(t, dup.Verify(f.chain, f.set, Ed25519{}), ReasonDuplicate)
	joint, err := NewJointSet(f.pubs[:4], f.pubs[1:5])
	require.NoError(t, err)
	require.False(t, (&Certificate{Kind: Notarize, SetSize: joint.Len(), Signers: []int{0, 1, 2, 3, 4}}).Fast(joint))
}

// A nullify vote signs what its signer notarized in the view, and every
// retransmission (also after a restart) repeats the same report. Fails on
// the engine before version 2 (nullify votes named no block).
func TestNullifyReportsWhatWeNotarized(t *testing.T) {
	f := newFixture(t, 4)
	me := 3
	var recs []Record
	e := f.engine(me, nil)
	b := f.block(1, block.ZeroID, 1)
	require.NoError(t, e.AddBlock(epoch, b))
	take(t, e, &recs)
	e.Tick(epoch.Add(2 * time.Second)) // the view does not end: nullify
	rd := take(t, e, &recs)
	require.Contains(t, votesOf(rd), *f.vote(me, Nullify, 1, b.ID))
	require.Contains(t, rd.Persist, Record{Kind: RecNullified, View: 1, Block: b.ID})

	e = f.engine(me, recs)
	e.Tick(epoch.Add(3 * time.Second))
	rd = take(t, e, &recs)
	require.Contains(t, votesOf(rd), *f.vote(me, Nullify, 1, b.ID))
	require.NotContains(t, votesOf(rd), *f.vote(me, Nullify, 1, block.ZeroID))

	// A producer that never saw the proposal reports none.
	e2 := f.engine(1, nil)
	e2.Tick(epoch.Add(2 * time.Second))
	require.Contains(t, votesOf(e2.Ready()), *f.vote(1, Nullify, 1, block.ZeroID))
}

// The report rule: a nullification of view 1 whose reports name b1 f+1
// times holds view 1 — a proposal of view 2 that skips it is not
// notarized, one that extends b1 is, and view 2's leader is asked to build
// on b1. With only f reports of b1 the view may be skipped as before (the
// control: the test can fail both ways).
func TestReportedViewCannotBeSkipped(t *testing.T) {
	f := newFixture(t, 4)
	b1 := f.block(1, block.ZeroID, 1)
	skip := f.block(2, block.ZeroID, 1)
	through := f.block(2, b1.ID, 2)
	held := f.nullCert(1, map[int]block.ID{0: {}, 1: b1.ID, 3: b1.ID})
	free := f.nullCert(1, map[int]block.ID{0: {}, 1: b1.ID, 3: {}})

	run := func(c *Certificate, proposal Block, broken brokenMode) []Vote {
		e, err := newEngine(f.config(3), Root{}, nil, epoch, broken)
		require.NoError(t, err)
		require.NoError(t, e.AddBlock(epoch, b1)) // we notarize b1
		require.NoError(t, e.Step(epoch, 0, Message{Cert: c}))
		require.Equal(t, uint64(2), e.View())
		e.Advance()
		require.NoError(t, e.AddBlock(epoch, proposal))
		return votesOf(e.Ready())
	}
	require.NotContains(t, run(held, skip, brokenMode{}), *f.vote(3, Notarize, 2, skip.ID), "skipped a held view")
	require.Contains(t, run(held, through, brokenMode{}), *f.vote(3, Notarize, 2, through.ID), "b1 is a usable parent")
	require.Contains(t, run(free, skip, brokenMode{}), *f.vote(3, Notarize, 2, skip.ID), "one report holds nothing")
	require.NotContains(t, run(free, through, brokenMode{}), *f.vote(3, Notarize, 2, through.ID), "b1 is neither notarized nor reported f+1 times")
	require.Contains(t, run(held, skip, brokenMode{noReports: true}), *f.vote(3, Notarize, 2, skip.ID), "the broken build skips")

	leader := func(c *Certificate) block.ID {
		e := f.engine(2, nil)
		require.NoError(t, e.AddBlock(epoch, b1))
		require.NoError(t, e.Step(epoch, 0, Message{Cert: c}))
		rd := e.Ready()
		require.NotNil(t, rd.Propose)
		return rd.Propose.Parent
	}
	require.Equal(t, b1.ID, leader(held))
	require.Equal(t, block.ZeroID, leader(free))

	// A second nullification with more reports is merged (after verifying).
	e := f.engine(3, nil)
	require.NoError(t, e.AddBlock(epoch, b1))
	require.NoError(t, e.Step(epoch, 0, Message{Cert: free}))
	require.NoError(t, e.Step(epoch, 0, Message{Cert: f.nullCert(1, map[int]block.ID{0: {}, 2: b1.ID, 3: {}})}))
	e.Advance()
	require.NoError(t, e.AddBlock(epoch, through))
	require.Contains(t, votesOf(e.Ready()), *f.vote(3, Notarize, 2, through.ID))
	forged := f.nullCert(1, map[int]block.ID{0: {}, 2: b1.ID, 3: {}})
	forged.Reports[0] = b1.ID // signed none, claims b1
	e2 := f.engine(3, nil)
	require.NoError(t, e2.Step(epoch, 0, Message{Cert: free}))
	requireReason(t, e2.Step(epoch, 0, Message{Cert: forged}), ReasonBadSignature)
}

// Liveness under the fast path's attacker: a leader that shows B to some
// correct producers and B′ to the others and votes for neither, while it
// withholds all its other votes and lies in its nullify reports. Its views
// end by nullification, the next leader respects the report rule (the
// final chain passes through blocks of the liar's views: held views are
// built on, not skipped), and every correct node finalizes ≥ 10 blocks
// after the faults stop.
func TestLiarSplitsViewsYetTheChainGoesOn(t *testing.T) {
	for _, n := range []int{4, 7} {
		for seed := uint64(1); seed <= 4; seed++ {
			d := 10 * time.Millisecond
			sc := scenario{seed: seed, n: n, delta: d, byz: map[int]actorKind{1: actorLiar},
				prefix: 100 * d, post: 150 * d}
			if seed == 4 {
				sc.broken = brokenMode{noReports: true} // the control: skips them
			}
			chk := runScenario(t, sc, 10, nil)
			// Without its vote neither B nor B′ can be notarized (the
			// correct producers split, short of a quorum), so a final block
			// of a liar's view got there only as a reported parent.
			through := 0
			for _, id := range chk.final {
				if chk.nt.blocks[id].View%uint64(n) == 1 {
					through++
				}
			}
			if seed == 4 {
				require.Zero(t, through, "%s: the broken engine cannot build on a reported block", sc)
				continue
			}
			require.Positive(t, through, "%s: no final block of a liar's view: held views were skipped", sc)
		}
	}
}
