package chain

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// reseal re-signs a block after mutating its header, keeping the body.
func reseal(t *testing.T, b *block.Block, key byte, mutate func(h *block.Header)) *block.Block {
	t.Helper()
	h := b.Header
	mutate(&h)
	out, err := block.Seal(h, b.Txs, b.Certificate, testKey(key))
	require.NoError(t, err)
	return out
}

// Everything a peer can send wrong is refused with a reason, and leaves the
// head, the log and the fork database as they were.
func TestAddRefusesBadBlocksWithAReason(t *testing.T) {
	n := newNode(t)
	g := n.Genesis()
	sibling := n.child(g, 1) // becomes below-irreversible
	n.produce(3, set("a", "1"))
	a2 := n.produce(3)
	_, err := n.SetIrreversible(a2.Parent)
	require.NoError(t, err)
	good := n.child(a2.ID(), 3, set("b", "2"))
	badTx := n.child(a2.ID(), 3, []byte("not a kv tx"))
	var unknownParent block.ID
	unknownParent[7], unknownParent[20] = 9, 1

	cases := []struct {
		name  string
		block *block.Block
		want  Reason
	}{
		{"duplicate", a2, ReasonDuplicate},
		{"duplicate irreversible", testGenesis(t), ReasonDuplicate},
		{"unknown parent", reseal(t, good, 3, func(h *block.Header) { h.Parent, h.Height = unknownParent, 10 }), ReasonUnknownParent},
		{"bad signature", func() *block.Block { b := *good; b.Signature[0] ^= 1; return &b }(), Reason(block.ReasonSignature)},
		{"bad tx root", func() *block.Block { b := *good; b.Txs = append(b.Txs, []byte("x")); return &b }(), Reason(block.ReasonTxRoot)},
		{"bad height", reseal(t, good, 3, func(h *block.Header) { h.Height++ }), Reason(block.ReasonHeight)},
		{"below irreversible", sibling, ReasonBelowIrreversible},
		{"bad term", reseal(t, good, 2, func(h *block.Header) { h.Term = 2 }), ReasonBadTerm},
		{"bad state root", reseal(t, good, 3, func(h *block.Header) { h.StateRoot[0] ^= 1 }), ReasonBadStateRoot},
		{"bad irreversible: not an ancestor", reseal(t, good, 3, func(h *block.Header) { h.Irreversible = sibling.ID() }), ReasonBadIrreversible},
		{"bad irreversible: goes back", reseal(t, good, 3, func(h *block.Header) { h.Irreversible = block.ZeroID }), ReasonBadIrreversible},
		{"bad transaction", badTx, ReasonBadTx},
		{"blacklisted after a bad transaction", badTx, ReasonInvalid},
		{"child of a blacklisted block", reseal(t, good, 3, func(h *block.Header) { h.Parent, h.Height = badTx.ID(), badTx.Height+1 }), ReasonInvalidAncestor},
	}
	head := n.HeadID()
	for _, tc := range cases {
		_, err := n.Add(tc.block)
		require.ErrorIs(t, err, ErrRejected, tc.name)
		require.Equal(t, tc.want, ReasonOf(err), "%s: %v", tc.name, err)
		require.Equal(t, head, n.HeadID(), tc.name)
	}
	checkConsistent(t, n.Chain)
	n.add(good)
	checkConsistent(t, n.Chain)
}

// A tampered body must not get a good block blacklisted: the id covers the
// header only.
func TestATamperedBodyDoesNotBlacklistTheGoodBlock(t *testing.T) {
	n := newNode(t)
	good := n.child(n.Genesis(), 1, set("a", "1"))
	bad := *good
	bad.Txs = [][]byte{[]byte("garbage")}
	_, err := n.Add(&bad)
	require.Equal(t, Reason(block.ReasonTxRoot), ReasonOf(err))
	n.add(good)
}

// Garbage bytes and mutated encodings of good blocks never panic and never
// leave the log, the fork database and the state out of step.
func TestGarbageLeavesTheChainConsistent(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	n, src := newNode(t), newNode(t)
	var good [][]byte
	for i := range 6 {
		good = append(good, src.produce(1, set("k", string(rune('a'+i)))).Encode())
	}
	lim := block.DefaultLimits()
	for i := range 2000 {
		var data []byte
		switch rng.IntN(3) {
		case 0:
			data = make([]byte, rng.IntN(400))
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
		default:
			data = append([]byte(nil), good[rng.IntN(len(good))]...)
			for range 1 + rng.IntN(3) {
				data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
			}
		}
		if b, err := block.Decode(data, lim); err == nil {
			_, _ = n.Add(b)
		}
		if i%500 == 0 {
			checkConsistent(t, n.Chain)
		}
	}
	checkConsistent(t, n.Chain)
	for _, enc := range good {
		b, err := block.Decode(enc, lim)
		require.NoError(t, err)
		n.add(b)
	}
	require.Equal(t, src.HeadID(), n.HeadID(), "garbage did not block the good chain")
	checkConsistent(t, n.Chain)
}
