package bftrun

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// Bad input from peers is refused with a reason, the penalized reasons
// reach Deps.Refused (the node charges the peer), and the correct
// producers are never charged: a cluster that only runs correct producers
// reports no refusal at all.
func TestBadInputIsRefusedAndCharged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 5, 9)
		time.Sleep(500 * time.Millisecond)
		require.Zero(t, c.refusedBy("malformed")+c.refusedBy("bad-signature")+c.refusedBy("non-member"), "correct producers charged")

		tag := c.nodes[0].r.Status()
		var epoch [32]byte
		copy(epoch[:], mustHex(t, tag.Epoch))
		c.nodes[4].hostile.Store(true)
		outsider := c.net.Messenger(c.nodes[4].id) // not in the set
		target := c.nodes[0].id

		require.NoError(t, outsider.Send(target, []byte("garbage")))
		require.NoError(t, outsider.Send(target, append([]byte{9}, make([]byte, 40)...)))
		vote := &bft.Vote{Kind: bft.Nullify, View: tag.View, Signer: 0}
		require.NoError(t, outsider.Send(target, encodeMessage(epoch, bft.Message{Vote: vote})))
		time.Sleep(50 * time.Millisecond)
		require.Equal(t, 1, c.refusedBy("malformed"))
		require.Equal(t, 1, c.refusedBy("unknown-version"))
		require.Equal(t, 1, c.refusedBy("non-member"))

		// A member (node 3, crashed: its key is ours now) sends a vote with
		// a forged signature and a proposal whose block another key signed.
		c.crash(3)
		c.nodes[3].hostile.Store(true)
		member := c.net.Messenger(c.nodes[3].id)
		s := c.nodes[0].r.Status()
		idx := -1
		for i, k := range sortedKeys(c) {
			if k == c.nodes[3].pub {
				idx = i
			}
		}
		forged := &bft.Vote{Kind: bft.Nullify, View: s.View + 1, Signer: uint16(idx)}
		require.NoError(t, member.Send(target, encodeMessage(epoch, bft.Message{Vote: forged})))
		b, err := block.Seal(block.Header{Height: 2, Parent: c.genesis.ID(), Term: s.View + 1}, nil, nil, c.keys[1])
		require.NoError(t, err)
		pv := &bft.Vote{Kind: bft.Notarize, View: b.Term, Block: b.ID(), Signer: uint16(idx)}
		require.NoError(t, member.Send(target, encodeProposal(epoch, pv, b)))
		time.Sleep(50 * time.Millisecond)
		require.Equal(t, 1, c.refusedBy("bad-signature"))
		require.Equal(t, 1, c.refusedBy("signer-mismatch"))
		require.Positive(t, c.nodes[0].r.Status().Refused["bad-signature"])
	})
}

func sortedKeys(c *cluster) []block.PublicKey {
	e := c.nodes[0].r.st.epoch // read after the runner settled: test only
	return e.Next
}
