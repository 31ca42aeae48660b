package node

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSoloProducesAndFullNodeFollows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 5*time.Second)
		r, err := tn.specs[1].n.Submit(context.Background(), kvTx("a", "1"))
		require.NoError(t, err)
		require.Equal(t, TxIncluded, r.State)
		r, err = tn.specs[1].n.WaitTx(context.Background(), r.Hash, TxIrreversible)
		require.NoError(t, err)
		require.Equal(t, TxIrreversible, r.State)
		tn.converged(5 * time.Second)
	})
}
