package bft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// A byzantine signer that signs two nullify reports of one view (here 3:
// b1 in one nullification, none in the other) must not split correct
// producers on whether the view is held: the evidence is the union of
// every verified report, whatever order the nullifications arrive in. And a
// producer that only ever saw one of them learns the rest from another's
// retry, even for a view below the retry's certificate bound. Fails on the
// engine that kept each signer's first report and relayed only the view's
// one nullification (sim seed 581: producers refused each other's parents
// for ever).
func TestDoubleReportsConvergeOnHeldView(t *testing.T) {
	f := newFixture(t, 7) // f = 2: a block named 3 times holds its view
	b1 := f.block(1, block.ZeroID, 1)
	x := f.nullCert(1, map[int]block.ID{0: b1.ID, 1: b1.ID, 2: {}, 3: b1.ID, 4: {}})
	y := f.nullCert(1, map[int]block.ID{0: b1.ID, 1: b1.ID, 2: {}, 3: {}, 4: {}})

	a, b := f.engine(5, nil), f.engine(6, nil)
	require.NoError(t, a.Step(epoch, 0, Message{Cert: x}))
	require.NoError(t, a.Step(epoch, 0, Message{Cert: y}))
	require.NoError(t, b.Step(epoch, 0, Message{Cert: y}))
	require.Empty(t, b.held(b.views[1]), "two reports of b1 hold nothing")
	c := f.engine(4, nil)
	require.NoError(t, c.Step(epoch, 0, Message{Cert: y}))
	require.NoError(t, c.Step(epoch, 0, Message{Cert: x}))
	require.Equal(t, []block.ID{b1.ID}, a.held(a.views[1]))
	require.Equal(t, []block.ID{b1.ID}, c.held(c.views[1]), "the order the reports came in does not matter")

	// Views 2..4 end by nullification (no reports); then a times out in
	// view 5 with a retry bound of one certificate, which view 4's takes.
	for v := uint64(2); v <= 4; v++ {
		for _, e := range []*Engine{a, b} {
			require.NoError(t, e.Step(epoch, 0, Message{Cert: f.cert(Nullify, v, block.ZeroID, 0, 1, 2, 3, 4)}))
		}
	}
	require.Equal(t, uint64(5), a.View())
	a.cfg.MaxRetryCerts = 1
	a.Ready()
	a.Advance()
	a.Tick(epoch.Add(2 * time.Second))
	rd := a.Ready()
	a.Advance()
	for _, m := range rd.Messages {
		if m.Cert != nil {
			require.NoError(t, b.Step(epoch, 5, m))
		}
	}
	require.Equal(t, []block.ID{b1.ID}, b.held(b.views[1]), "a's retry relayed view 1's whole evidence")
	p, ok := b.proposalParent(5)
	require.False(t, ok, "b must pass through b1, which it is fetching")
	require.True(t, p.IsZero())
	require.NoError(t, b.AddBlock(epoch, b1))
	p, ok = b.proposalParent(5)
	require.True(t, ok)
	require.Equal(t, b1.ID, p)
}
