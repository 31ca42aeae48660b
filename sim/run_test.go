package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestSmallHealthyRun(t *testing.T) {
	cfg := DefaultConfig()
	res, err := Run(cfg)
	t.Log(res.Summary())
	require.NoError(t, err)
	require.True(t, res.HeadsAgree)
	require.Equal(t, cfg.Blocks, res.BlocksProduced)
	require.Equal(t, uint64(cfg.Blocks+1), res.IrreversibleMin)
}

// A consensus engine of the caller's replaces the built-in ones.
type everyOther struct{ solo }

func (e *everyOther) Producer(s uint64) (int, uint64) { return int(s % 2), 1 }

func TestRunWithPlugsInAConsensusEngine(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Blocks = 20
	calls := 0
	res, err := RunWith(cfg, func(keys []block.PublicKey, genesis block.ID) Consensus {
		calls++
		require.Len(t, keys, cfg.Nodes)
		return &everyOther{solo{producer: keys[0]}}
	})
	require.NoError(t, err, res.Summary())
	require.Equal(t, 1, calls)
	require.Equal(t, 20, res.BlocksProduced)
	require.True(t, res.HeadsAgree)
}
