package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftstore"
	"github.com/blockwire/blockwire/node"
)

// TestTestnetBFTCommitsSurvivesAKillAndNeverDoubleSigns is issue 15's
// node acceptance with real processes over libp2p on loopback: four BFT
// producers and a full node commit every transaction, irreversibility
// advances and the state roots agree; a producer SIGKILLed mid-run leaves
// three that keep finalizing (3 of 4 is a quorum), and restarted from its
// directory it resumes from its safety records and catches up. Its
// records from before the kill and after the restart never contradict
// each other: one notarized block per view, never nullify and finalize in
// one view.
func TestTestnetBFTCommitsSurvivesAKillAndNeverDoubleSigns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five node processes")
	}
	bin := buildBinary(t)
	ports := freePorts(t, 10)
	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: 100 * time.Millisecond}
	base.Log.Format = "json"
	_, nodes, err := node.InitNetwork(node.NetworkSpec{Dir: t.TempDir(), Nodes: 5, Producers: 4, Engine: node.EngineBFT,
		P2PPorts: ports[:5], AdminPorts: ports[5:], Base: &base})
	require.NoError(t, err)
	procs := make([]*proc, len(nodes))
	for i, n := range nodes {
		procs[i], err = startProc(bin, n)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.stop(10 * time.Second)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clients := make([]*adminClient, len(procs))
	for i, p := range procs {
		require.NoError(t, p.waitHealthy(ctx))
		clients[i] = newAdminClient(p.info.AdminAddr, submitWait)
	}
	waitFor(t, 30*time.Second, "irreversibility reaches 5 everywhere", allAtLeast(t, 5, procs...))

	// Transactions at 100/s for 4 s, spread over all five nodes.
	load := newTxLoad(100, clients)
	loadCtx, stopLoad := context.WithTimeout(ctx, 4*time.Second)
	load.run(loadCtx, 1)
	stopLoad()
	require.Zero(t, load.failed.Load(), "failed transactions: %v", load.errors)
	require.Equal(t, load.submitted.Load(), load.committed.Load())
	require.Positive(t, load.committed.Load())

	// SIGKILL producer 1: the other three are a quorum and go on.
	victim := procs[1]
	victim.kill()
	pre := loadRecords(t, victim.info)
	h := irreversible(t, procs[4])
	waitFor(t, 20*time.Second, "irreversibility advances without the killed producer",
		allAtLeast(t, h+5, procs[0], procs[2], procs[3], procs[4]))

	// Restart it: it resumes from its records and catches up.
	restarted, err := startProc(bin, victim.info)
	require.NoError(t, err)
	procs[1] = restarted
	require.NoError(t, restarted.waitHealthy(ctx))
	h = irreversible(t, procs[0])
	waitFor(t, 30*time.Second, "the restarted producer catches up", allAtLeast(t, h+3, procs...))

	var res testnetResult
	res.IrreversibleMin = ^uint64(0)
	for _, p := range procs {
		res.IrreversibleMin = min(res.IrreversibleMin, irreversible(t, p))
	}
	compareStateRoots(ctx, &res, clients)
	require.True(t, res.StateRootsEqual, fmt.Sprint(res.Problems))

	require.NoError(t, restarted.stop(10*time.Second))
	post := loadRecords(t, victim.info)
	require.NotEmpty(t, post, "the restarted producer voted")
	t.Logf("records: %d before the kill, %d after the restart", len(pre), len(post))
	requireConsistentRecords(t, append(pre, post...))
}

// loadRecords reads a stopped producer's safety records from its database.
func loadRecords(t *testing.T, n node.NetworkNode) []bft.Record {
	t.Helper()
	db, err := chain.OpenDB(filepath.Join(n.Dir, "data"), chain.DefaultDBConfig())
	require.NoError(t, err)
	defer db.Close()
	recs, err := bftstore.New(db).Load()
	require.NoError(t, err)
	return recs
}

// requireConsistentRecords fails on two notarize records of one view for
// different blocks, or a nullify and a finalize in one view: what a
// producer that forgot its records across a crash could sign.
func requireConsistentRecords(t *testing.T, recs []bft.Record) {
	t.Helper()
	type seen struct {
		notarized           map[block.ID]bool
		nullified, finalize bool
	}
	views := map[uint64]*seen{}
	for _, r := range recs {
		s := views[r.View]
		if s == nil {
			s = &seen{notarized: map[block.ID]bool{}}
			views[r.View] = s
		}
		switch r.Kind {
		case bft.RecNotarized:
			s.notarized[r.Block] = true
		case bft.RecNullified:
			s.nullified = true
		case bft.RecFinalized:
			s.finalize = true
		}
		require.LessOrEqual(t, len(s.notarized), 1, "view %d: notarize records for two blocks", r.View)
		require.False(t, s.nullified && s.finalize, "view %d: nullified and finalized", r.View)
	}
}
