package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Seed 003 goal (a), synchronous liveness: once a partition heals, every
// correct node gets the highest irreversible block in bounded time.
func TestPartitionHealsWithinBoundedTime(t *testing.T) {
	res := run(t, small(t, "partition@1s-3s:0-5/6-11"))
	require.Positive(t, res.LivenessMaxMs, "the minority side fell behind during the cut")
	require.Less(t, res.LivenessMaxMs, 1000.0)
	require.Equal(t, uint64(res.BlocksProduced+1), res.IrreversibleMin, "genesis is height 1")
}

func TestOneWayCutHeals(t *testing.T) {
	res := run(t, small(t, "oneway@1s-3s:0-5>6-11"))
	require.Positive(t, res.LivenessMaxMs)
	require.Less(t, res.LivenessMaxMs, 1000.0)
}

func TestCrashedNodeRestartsFromItsIrreversibleChain(t *testing.T) {
	cfg := small(t, "crash@1s:4+9,restart@2500ms:4+9")
	r, res := simulate(t, cfg)
	require.True(t, res.HeadsAgree, res.Summary())
	require.Positive(t, res.LivenessMaxMs)
	require.Equal(t, r.nodes[0].tree.HeadID(), r.nodes[4].tree.HeadID())
}

func TestRotatingProducersForkAndReconcile(t *testing.T) {
	// Producers 0-3 are split two and two, so both sides keep producing:
	// real forks, resolved by term and the finality oracle after the heal.
	cfg := small(t, "partition@1s-2500ms:0-1+4-7/2-3+8-11")
	cfg.Mode, cfg.Producers, cfg.TermBlocks = ModeRotate, 4, 2
	r, res := simulate(t, cfg)
	require.True(t, res.HeadsAgree, res.Summary())
	require.Greater(t, res.IrreversibleMin, uint64(cfg.Blocks/2), res.Summary())
	forked := false
	for _, b := range r.m.blocks {
		if !r.nodes[0].holds(b.id) {
			forked = true // a block that lost its fork
		}
	}
	require.True(t, forked, "the partition should have made a losing fork")
}

func TestByzantineBehaviours(t *testing.T) {
	cases := []struct {
		faults   string
		rotate   bool
		penalize bool
	}{
		{"byz@3+7:badsig", false, true},
		{"byz@3+7:garbage", false, true},
		{"byz@3+7:unknownparent", false, true},
		{"byz@3+7:withhold", false, false},
		{"byz@1:equivocate", true, false},
	}
	for _, c := range cases {
		t.Run(c.faults, func(t *testing.T) {
			cfg := small(t, c.faults)
			cfg.Relay = RelayFlood // byzantine nodes keep sending bodies
			if c.rotate {
				cfg.Mode, cfg.Producers = ModeRotate, 4
			}
			r, res := simulate(t, cfg)
			require.True(t, res.HeadsAgree, res.Summary())
			requireOnlyValidBlocks(t, r)
			if c.penalize {
				require.Positive(t, res.Penalties, "byzantine senders are penalized")
			}
		})
	}
}

func TestWithholdingNodesAreRoutedAround(t *testing.T) {
	// With tree relay, withholding nodes that the tree picked as parents
	// must be replaced by grafts over backup links.
	cfg := small(t, "byz@1-3:withhold")
	cfg.Blocks = 60
	res := run(t, cfg)
	require.Equal(t, uint64(cfg.Blocks+1), res.IrreversibleMin, res.Summary())
}

func TestTreeRelayPrunesDuplicates(t *testing.T) {
	cfg := small(t, "")
	cfg.Nodes, cfg.Degree, cfg.Blocks = 24, 6, 80
	tree := run(t, cfg)
	cfg.Relay = RelayFlood
	flood := run(t, cfg)
	require.Less(t, tree.CopiesPerNode, 1.15, tree.Summary())
	require.Greater(t, flood.CopiesPerNode, 3.0, flood.Summary())
	require.LessOrEqual(t, tree.DisseminationP100Ms, 1.25*tree.IdealDisseminationMs, tree.Summary())
}

// A node joining far behind finds the common ancestor with a logarithmic
// number of hellos and streams the rest at close to link speed. Rotate mode
// with two of three producers down keeps everything above genesis
// reversible, so the peer's locator has to walk the whole chain.
func TestCatchUpIsLogarithmicAndFast(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Topology, cfg.Mode, cfg.Producers, cfg.TermBlocks = 4, TopologyStar, ModeRotate, 3, 1
	cfg.Blocks, cfg.BlockSize, cfg.Interval = 3000, 16<<10, time.Millisecond
	cfg.CatchUpNode, cfg.CatchUpAt = 3, 3*time.Second+time.Millisecond/2
	cfg.Faults, _ = ParseFaults("crash@0s:1-2")
	res := run(t, cfg)
	require.LessOrEqual(t, res.HellosPerSync, 2*(2+11)+2, res.Summary())
	require.GreaterOrEqual(t, res.CatchUpUtilization, 0.8, res.Summary())
}

func TestLinkFaultsKeepInvariants(t *testing.T) {
	cfg := small(t, "")
	cfg.Jitter, cfg.Loss, cfg.Dup, cfg.Reorder = 3*time.Millisecond, 0.05, 0.05, 0.2
	res := run(t, cfg)
	require.Equal(t, uint64(cfg.Blocks+1), res.IrreversibleMin, res.Summary())
}
