package sim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// smallBFT is a quick --mode bft configuration: 4 producers among 12 nodes.
func smallBFT(t *testing.T, seed uint64, faults string) Config {
	t.Helper()
	cfg := small(t, faults)
	cfg.Seed, cfg.Mode, cfg.Producers, cfg.Blocks = seed, ModeBFT, 4, 30
	return cfg
}

func TestBFTFinalizesOverSeeds(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := smallBFT(t, seed, "")
			res := run(t, cfg)
			require.NotNil(t, res.BFT, res.Summary())
			require.GreaterOrEqual(t, res.BFT.BlocksFinalized, cfg.Blocks, res.Command)
			require.Zero(t, res.BFT.ViewsSkipped, res.Command)
			// The fast path finalizes 2δ after the proposal with direct
			// links (every producer notarizes); blocks reach producers over
			// blocksync's hops here, so allow a few more δ but not a
			// timeout's worth.
			require.GreaterOrEqual(t, res.BFT.FinalityP50Delta, 2.0, res.Command)
			require.Less(t, res.BFT.FinalityP50Delta, 10.0, res.Command)
			require.Equal(t, res.IrreversibleMin, res.IrreversibleMax, res.Command)
			require.Zero(t, res.BFT.DoubleSignsByCorrect, res.Command)
		})
	}
}

// With every producer a neighbour of every other, a block reaches the
// voters in δ, so finality takes the fast path's 2δ (plus serialization):
// every producer notarizes. With a producer that withholds its votes (a
// liar) no view is unanimous and finality falls back to Simplex's 3δ.
func TestBFTDirectLinksFinalizeInTwoDelta(t *testing.T) {
	cfg := smallBFT(t, 1, "")
	cfg.Topology, cfg.BlockSize = TopologyFull, 1024
	res := run(t, cfg)
	require.InDelta(t, 2.0, res.BFT.FinalityP50Delta, 0.1, res.Command)
	require.Zero(t, res.BFT.SlowFinalized, res.Command)
	require.Positive(t, res.BFT.FastFinalized, res.Command)

	cfg = smallBFT(t, 1, "byz@1:lie")
	cfg.Topology, cfg.BlockSize = TopologyFull, 1024
	res = run(t, cfg)
	require.InDelta(t, 3.0, res.BFT.FinalityP50Delta, 0.1, res.Command)
	// Only its own views can be unanimous (its proposal vote is the one
	// it does not withhold).
	require.Less(t, res.BFT.FastFinalized, res.BFT.SlowFinalized/4, res.Command)
	require.Zero(t, res.BFT.SafetyViolations+res.BFT.AncestryViolations+res.BFT.DoubleSignsByCorrect, res.Command)
}

func TestBFTCrashedLeaderSkipsViewsThenProgresses(t *testing.T) {
	base := run(t, smallBFT(t, 2, ""))
	res := run(t, smallBFT(t, 2, "crash@500ms:1"))
	require.GreaterOrEqual(t, res.BFT.BlocksFinalized, 30, res.Command)
	require.Greater(t, res.BFT.ViewsSkipped, base.BFT.ViewsSkipped, res.Command)
}

func TestBFTSurvivesRestartAndPartition(t *testing.T) {
	for _, faults := range []string{
		"crash@600ms:0,restart@2s:0",
		"partition@500ms-1500ms:0-1/2-11",
		"crash@400ms:3,restart@900ms:3,partition@1s-2s:0+2/1+3-11",
	} {
		t.Run(faults, func(t *testing.T) {
			res := run(t, smallBFT(t, 3, faults))
			require.GreaterOrEqual(t, res.BFT.BlocksFinalized, 30, res.Command)
		})
	}
}

// The liveness check fires: with 2 of 4 producers down no quorum forms, and
// the run must fail (with its replay command) rather than pass quietly.
func TestBFTNoQuorumFailsTheRun(t *testing.T) {
	cfg := smallBFT(t, 1, "crash@300ms:0+1")
	cfg.Settle = 2_000_000_000
	res, err := Run(cfg)
	require.ErrorIs(t, err, ErrInvariant)
	require.Contains(t, err.Error(), "bft liveness")
	require.Contains(t, err.Error(), "--mode bft")
	require.Zero(t, res.SafetyViolations)
}

func TestBFTSameSeedSameTrace(t *testing.T) {
	cfg := smallBFT(t, 5, "crash@500ms:2,restart@1s:2")
	cfg.Jitter, cfg.Loss = 2_000_000, 0.01
	a, b := run(t, cfg), run(t, cfg)
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, *a.BFT, *b.BFT)
	cfg.Seed++
	require.NotEqual(t, a.TraceHash, run(t, cfg).TraceHash)
}

// A producer that withholds block bodies on blocksync (a byzantine node
// of the blocksync catalogue) still reaches the producers: its proposal
// carries its block, as consensus/bftrun's does, so it costs no view, and
// no correct node is penalized.
func TestBFTWithholdingProducerCostsNoView(t *testing.T) {
	res := run(t, smallBFT(t, 4, "byz@1:withhold"))
	require.GreaterOrEqual(t, res.BFT.BlocksFinalized, 30, res.Command)
	require.Zero(t, res.BFT.ViewsSkipped, res.Command)
}

// The double-sign checker fires on each kind of contradiction and not on a
// retry that repeats a vote.
func TestBFTVoteLogCatchesDoubleSigns(t *testing.T) {
	a, b := block.ID{1}, block.ID{2}
	l := newVoteLog(4)
	require.False(t, l.sent(&bft.Vote{Kind: bft.Notarize, View: 3, Block: a, Signer: 1}))
	require.False(t, l.sent(&bft.Vote{Kind: bft.Notarize, View: 3, Block: a, Signer: 1}), "a retry is not a double sign")
	require.False(t, l.sent(&bft.Vote{Kind: bft.Notarize, View: 3, Block: b, Signer: 2}), "another signer")
	require.True(t, l.sent(&bft.Vote{Kind: bft.Notarize, View: 3, Block: b, Signer: 1}))
	require.False(t, l.sent(&bft.Vote{Kind: bft.Finalize, View: 3, Block: a, Signer: 1}))
	require.True(t, l.sent(&bft.Vote{Kind: bft.Nullify, View: 3, Signer: 1}), "nullify after finalize")
	require.False(t, l.sent(&bft.Vote{Kind: bft.Nullify, View: 4, Signer: 1}))
	require.True(t, l.sent(&bft.Vote{Kind: bft.Finalize, View: 4, Block: a, Signer: 1}), "finalize after nullify")
	require.Equal(t, 3, l.doubles)
}
