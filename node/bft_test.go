package node

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBFTNetworkCommitsAndFullNodeFollows runs four BFT producers and a
// full node on the in-memory network: transactions submitted anywhere
// become irreversible, the full node learns finality from the
// certificates in block bodies only, and every node ends on one state.
func TestBFTNetworkCommitsAndFullNodeFollows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineBFT, 4, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 20*time.Second)
		for i, sp := range tn.specs {
			r, err := sp.n.Submit(context.Background(), kvTx(fmt.Sprint("k", i), "v"))
			require.NoError(t, err, sp.name)
			r, err = sp.n.WaitTx(context.Background(), r.Hash, TxIrreversible)
			require.NoError(t, err, sp.name)
			require.Equal(t, TxIrreversible, r.State)
		}
		cs := tn.specs[0].n.Consensus()
		require.NotNil(t, cs.BFT)
		require.True(t, cs.BFT.Member)
		require.Positive(t, cs.BFT.FinalizedCount)
		require.Nil(t, tn.specs[4].n.Consensus().BFT, "a full node runs no engine")
		tn.converged(10 * time.Second)
	})
}

// TestBFTProducerCrashRestartRejoins kills one of four BFT producers:
// irreversibility goes on with three, and the restarted producer resumes
// from its safety records and catches up.
func TestBFTProducerCrashRestartRejoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineBFT, 4, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(4, 20*time.Second)
		tn.stop(1, true)
		_, irr := tn.specs[4].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 20*time.Second)
		tn.start(1)
		_, irr = tn.specs[4].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 20*time.Second)
		require.Positive(t, tn.specs[1].n.Consensus().BFT.Records)
		tn.converged(10 * time.Second)
	})
}
