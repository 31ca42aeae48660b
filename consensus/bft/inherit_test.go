package bft

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// The epoch-boundary stall (docs/protocol.md §11.7): the old set S = {0, 1}
// notarized B in view 2 and producer 1 voted finalize there, so it can
// never nullify view 2 in the joint epoch joint({0, 1, 2}, S), whose
// quorum needs all three and whose leader of view 2 is producer 2. The
// joint engine inherits S's notarization of B: view 2 ends, the next
// leader builds on B, and the joint set notarizes it. Finalizations,
// certificates of other sets and forged ones are refused, and the
// inherited certificate never leaves in this epoch's messages.
func TestJointEpochInheritsTheOldSetsNotarization(t *testing.T) {
	f := newFixture(t, 3)
	old, err := NewSet(f.pubs[:2])
	require.NoError(t, err)
	joint, err := NewJointSet(f.pubs[:2], f.pubs[:3])
	require.NoError(t, err)
	require.NotEqual(t, old.Leader(2), joint.Leader(2), "the leaders of view 2 differ")

	hr := block.Header{Height: 5, Term: 1}
	root := Root{ID: hr.ID(), View: 1}
	cfg := DefaultConfig(f.chain, joint, f.keys[2])
	cfg.SkipAfterViews, cfg.Prev = 0, old
	e, err := New(cfg, root, nil, epoch)
	require.NoError(t, err)
	var recs []Record
	take(t, e, &recs)

	// B: the old set's leader's block of view 2; kept as a candidate parent
	// (not the joint view's proposal: no vote for it).
	hb := block.Header{Height: 6, Parent: root.ID, Term: 2, Producer: f.pubs[old.Leader(2)]}
	b := Block{ID: hb.ID(), Parent: root.ID, View: 2, Producer: hb.Producer}
	require.NoError(t, e.AddBlock(epoch, b))
	require.Empty(t, votesOf(take(t, e, &recs)))

	oldCert := func(k Kind, id block.ID) *Certificate {
		c := &Certificate{Kind: k, View: 2, Block: id, SetSize: old.Len()}
		for s := range 2 {
			c.Signers, c.Sigs = append(c.Signers, s), append(c.Sigs, f.vote(s, k, 2, id).Sig)
		}
		return c
	}
	// Refused: a finalization (an epoch ends on its own set's only), a
	// forged signature, and anything on an engine without a previous set.
	requireReason(t, e.Inherit(epoch, oldCert(Finalize, b.ID)), ReasonStale)
	forged := oldCert(Notarize, b.ID)
	forged.Sigs[1][0] ^= 1
	requireReason(t, e.Inherit(epoch, forged), ReasonBadSignature)
	plain := cfg
	plain.Prev = nil
	e0, err := New(plain, root, nil, epoch)
	require.NoError(t, err)
	requireReason(t, e0.Inherit(epoch, oldCert(Notarize, b.ID)), ReasonWrongSet)
	require.Error(t, e0.Step(epoch, 0, Message{Cert: oldCert(Notarize, b.ID)}), "not a certificate of the joint set")
	require.EqualValues(t, 2, e0.View(), "without inheritance view 2 cannot end")

	n := oldCert(Notarize, b.ID)
	require.NoError(t, e.Inherit(epoch, n))
	rd := take(t, e, &recs)
	require.EqualValues(t, 3, e.View())
	require.Equal(t, []*Certificate{n}, rd.Notarized)
	require.Equal(t, []*Certificate{n}, rd.Inherited)
	for _, m := range rd.Messages {
		require.Nil(t, m.Cert, "an inherited certificate is not relayed as the joint set's")
	}
	require.Contains(t, votesOf(rd), *f.vote(2, Finalize, 2, b.ID), "we never nullified view 2")

	// The joint leader of view 3 builds on B; we notarize it.
	hc := block.Header{Height: 7, Parent: b.ID, Term: 3, Producer: f.pubs[joint.Leader(3)]}
	c := Block{ID: hc.ID(), Parent: b.ID, View: 3, Producer: hc.Producer}
	require.NoError(t, e.AddBlock(epoch, c))
	require.Contains(t, votesOf(take(t, e, &recs)), *f.vote(2, Notarize, 3, c.ID))
	require.Len(t, e.Certificates(1), 0, "inherited certificates are not handed on as ours")
}

func requireReason(t *testing.T, err error, want Reason) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, ReasonOf(err), "%v", err)
}
