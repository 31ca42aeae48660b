package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
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
