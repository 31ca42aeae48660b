package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// --bft-leader-timeout is written into every node's config, and a value
// not above the block interval is refused before anything is written,
// with the config key's message. Fails on the old code: no such flag.
func TestTestnetBFTLeaderTimeoutFlagConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tn")
	_, err := run(t, "testnet", "--engine", "bft", "--nodes", "4", "--producers", "4", "--dir", dir,
		"--block-interval", "100ms", "--bft-leader-timeout", "100ms", "--ui-listen", "off")
	require.ErrorContains(t, err, "consensus.bft_leader_timeout: 100ms, want 0 (1s) or above block_interval 100ms")
	require.NoDirExists(t, dir)

	o := testnetOptions{spec: node.NetworkSpec{Dir: dir, Nodes: 4, Producers: 4, Engine: node.EngineBFT}}
	o.blockInterval, o.bftLeaderTimeout = 100*time.Millisecond, 300*time.Millisecond
	nodes, err := prepareTestnet(&o)
	require.NoError(t, err)
	require.Len(t, nodes, 4)
	for _, nd := range nodes {
		cfg, err := node.LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		require.Equal(t, 300*time.Millisecond, cfg.Consensus.BFTLeaderTimeout.Duration, nd.Name)
		require.Equal(t, node.EngineBFT, cfg.Consensus.Engine)
	}
}
