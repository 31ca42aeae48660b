package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/internal/netns"
	"github.com/blockwire/blockwire/internal/topology"
	"github.com/blockwire/blockwire/node"
)

// The CI-sized scenario of issue 19: 4 nodes in namespaces on a ring,
// shaped to 50 Mbit/s, 64 KiB per block, every kind of perturbation, for
// 20 s. Nothing acknowledged is lost, no two nodes disagree, each
// perturbation reports a recovery, the nodes counted copies, and nothing
// is left on the machine. Skips without root and namespaces.
func TestNetnsTestnetSurvivesPerturbations(t *testing.T) {
	netns.SkipUnlessAvailable(t)
	if testing.Short() {
		t.Skip("starts 4 node processes for about 40 s")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "net")
	out, err := exec.Command(bin, "testnet", "--netns", "--nodes", "4", "--producers", "3",
		"--topology", "ring", "--block-size", "65536", "--bandwidth", "50mbit", "--block-interval", "500ms",
		"--duration", "20s", "--tx-rate", "10", "--settle", "20s", "--dir", dir, "--json",
		"--perturb", "kill@3s:node3,restart@6s:node3,pause@8s-10s:node1,partition@11s-13s:0-1/2-3,disconnect@14s-16s:node2",
	).Output()
	var res testnetResult
	require.NoError(t, json.Unmarshal(out, &res), "output: %s", out)
	require.NoError(t, err, "problems: %v", res.Problems)
	nr := res.NetnsResult
	require.NotNil(t, nr)
	require.True(t, res.StateRootsEqual)
	require.True(t, res.IrreversibleAdv)
	require.Zero(t, nr.LostCommittedTx, "acknowledged transactions lost")
	require.Zero(t, nr.DupCommittedTx)
	require.Zero(t, nr.DivergentHeights)
	require.Positive(t, nr.CommittedChecked)
	require.Positive(t, nr.HeightsCompared)
	require.Len(t, nr.Perturbations, 5)
	for _, p := range nr.Perturbations {
		require.Empty(t, p.Error, p.Spec)
		require.GreaterOrEqual(t, p.RecoveryMs, 0.0, "%s did not recover", p.Spec)
		require.GreaterOrEqual(t, p.CaughtUpMs, 0.0, "%s: a node did not catch up", p.Spec)
	}
	require.Positive(t, nr.BlocksMeasured)
	require.GreaterOrEqual(t, nr.CopiesPerNode, 1.0)
	require.Positive(t, res.ReachS, "the loads waited until every node reached a producer")
	require.NotNil(t, nr.RaftTimers, "the raft timers chosen are reported")
	require.Equal(t, 2*65536, nr.BlockTargetBytes)
	require.Empty(t, nr.Leftovers)
	t.Logf("copies/node %.3f, p50 %.1f ms, p100 %.1f ms; recoveries %+v", nr.CopiesPerNode, nr.PropagationP50Ms, nr.PropagationP100Ms, nr.Perturbations)
}

// Without root the command says why and exits non-zero (run as nobody).
func TestNetnsTestnetRefusesWithoutRoot(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and setpriv to run the command as another user")
	}
	bin := buildBinary(t)
	require.NoError(t, os.Chmod(filepath.Dir(bin), 0o755))
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin,
		"testnet", "--netns", "--nodes", "2", "--producers", "1", "--dir", filepath.Join(os.TempDir(), "bw-netns-noroot"))
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "output: %s", out)
	require.Contains(t, string(out), "needs root")
}

func TestNetnsFlagsNeedNetns(t *testing.T) {
	o := netnsOptions{bandwidth: "10mbit", relay: "blocksync"}
	_, _, err := o.validate(4)
	require.ErrorContains(t, err, "need --netns")
	o = netnsOptions{prio: true, relay: "blocksync"}
	_, _, err = o.validate(4)
	require.ErrorContains(t, err, "need --netns")
	o = netnsOptions{enabled: true, prio: true, relay: "blocksync", topology: "ring"}
	_, _, err = o.validate(4)
	require.ErrorContains(t, err, "--prio needs --bandwidth")
	o = netnsOptions{enabled: true, relay: "flood", topology: "ring"}
	_, _, err = o.validate(4)
	require.ErrorContains(t, err, "--relay")
	o = netnsOptions{enabled: true, relay: "gossipsub", topology: "ring", perturb: "kill@1s:node1"}
	_, _, err = o.validate(4)
	require.ErrorContains(t, err, "no catch-up")
}

func TestParsePerturbations(t *testing.T) {
	ps, err := parsePerturbations("disconnect@30s:node4,kill@10s:node3,restart@15s:3,pause@12s-14s:node1,partition@20s-25s:0-2/3+5-7", 8)
	require.NoError(t, err)
	require.Len(t, ps, 5)
	require.Equal(t, perturbKill, ps[0].kind, "sorted by start")
	require.Equal(t, 3, ps[0].node)
	require.Equal(t, 12*time.Second, ps[1].start)
	require.Equal(t, 14*time.Second, ps[1].end)
	require.Equal(t, [][]int{{0, 1, 2}, {3, 5, 6, 7}}, ps[3].groups)
	require.Equal(t, 40*time.Second, ps[4].end, "disconnect lasts 10 s by default")
	for _, bad := range []string{"kill@10s-12s:node1", "pause@3s:node1", "explode@1s:node1", "kill@1s:node9",
		"partition@1s-2s:0-3", "partition@1s-2s:0-2/2-3", "kill:node1", "pause@5s-4s:node1"} {
		_, err := parsePerturbations(bad, 8)
		require.Error(t, err, bad)
	}
}

// propagationFrom uses the simulator's definitions: a block's copies over
// all nodes ÷ (nodes−1), delays from the producer's finish, blocks that
// some node caught up on are left out.
func TestPropagationFromRecords(t *testing.T) {
	t0 := time.Unix(100, 0)
	mk := func(h uint64, copies int, produced bool, after time.Duration, catching bool) node.BlockArrival {
		var id block.ID
		id[7], id[31] = byte(h), 1
		return node.BlockArrival{ID: id, Height: h, Timestamp: t0, First: t0.Add(after), Copies: copies, Produced: produced, CatchingUp: catching}
	}
	recs := [][]node.BlockArrival{
		{mk(5, 0, true, 10*time.Millisecond, false), mk(6, 0, true, 10*time.Millisecond, false)},
		{mk(5, 1, false, 30*time.Millisecond, false), mk(6, 1, false, 20*time.Millisecond, false)},
		{mk(5, 2, false, 60*time.Millisecond, false), mk(6, 1, false, 900*time.Millisecond, true)},
	}
	f := propagationFrom(recs, 1, 10, 3, 0)
	require.Equal(t, 1, f.BlocksMeasured, "block 6 was caught up on, not propagated")
	require.Zero(t, propagationFrom(recs, 1, 10, 3, 1000).BlocksMeasured, "blocks below the payload size are left out")
	require.InDelta(t, 1.5, f.CopiesPerNode, 1e-9)
	require.InDelta(t, 20.0, f.PropagationP50Ms, 1e-9)
	require.InDelta(t, 50.0, f.PropagationP100Ms, 1e-9)
}

// Leader changes are the producers' raft terms begun between the samples:
// full nodes' terms (their head block's) and producers that did not answer
// do not count.
func TestTermsBegunCountsProducersOnly(t *testing.T) {
	at := func(terms ...uint64) []nodeSample {
		out := make([]nodeSample, len(terms))
		for i, term := range terms {
			out[i].status.Term = term
		}
		return out
	}
	first, last := at(3, 3, 2, 1), at(9, 4, 8, 40)
	require.Equal(t, uint64(6), termsBegun(first, last, []int{0, 1, 2}))
	last[0].err = errors.New("down")
	require.Equal(t, uint64(5), termsBegun(first, last, []int{0, 1, 2}), "node0 did not answer at the end")
	require.Zero(t, termsBegun(first, last, []int{0}))
	require.Zero(t, termsBegun(last, first, []int{1, 2}), "terms never go down; a restart from an old store is not a change")
}

// The testnet picks raft timers from what it knows: with --seeds the
// producers are each other's static peers (1 hop, whatever the random
// graph's span), without it the graph's producer span; shaped links add
// their queues (cft.QueueTimers). The issue-19 command used to get 400 ms
// from the random graph's span by accident.
func TestTestnetRaftTimersFromHopsAndQueues(t *testing.T) {
	base := node.DefaultConfig().Consensus
	g, err := topology.Build(topology.Spec{Kind: topology.Random, Nodes: 16, Degree: 4, Seed: 1})
	require.NoError(t, err)
	span := g.Span(3)
	require.Greater(t, span, 1, "the test wants producers more than one hop apart in the graph")

	tm, r := chooseRaftTimers(base, true, g, 3, true)
	require.Equal(t, raftTimersResult{HeartbeatMs: 800, ElectionMs: 800, LeaseMs: 800, Hops: 1, QueueMs: 100}, r,
		"seeds + 100 Mbit/s: one hop through four 100 ms queues, twice")
	require.Equal(t, 800*time.Millisecond, tm.Heartbeat)

	_, r = chooseRaftTimers(base, true, g, 3, false)
	require.Equal(t, int64(100), r.HeartbeatMs, "seeds, unshaped: the one-hop defaults")
	_, r = chooseRaftTimers(base, false, g, 3, false)
	require.Equal(t, span, r.Hops, "static topology: the producers' span")
	require.Equal(t, int64(100*cft.HopScale(span)), r.HeartbeatMs)

	require.Equal(t, 2<<20, blockTarget(1<<20), "twice the payload")
	require.Equal(t, node.DefaultConfig().Consensus.BlockTargetBytes, blockTarget(0))
}
