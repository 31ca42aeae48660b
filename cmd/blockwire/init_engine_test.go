package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// init records --engine in the genesis, and `config check` names both
// values when a node's consensus.engine disagrees with it. Fails on the
// old code: the genesis had no engine.
func TestInitRecordsTheEngineAndConfigCheckComparesIt(t *testing.T) {
	dir := initNet(t, "--nodes", "4", "--producers", "4", "--engine", "bft")
	g, err := node.LoadGenesis(filepath.Join(dir, "genesis.json"))
	require.NoError(t, err)
	require.Equal(t, node.EngineBFT, g.Engine)

	cfgPath := filepath.Join(dir, "node1", "config.toml")
	out, err := run(t, "config", "check", "--config", cfgPath)
	require.NoError(t, err, out)
	require.Contains(t, out, "engine bft")

	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	bad := strings.Replace(string(data), `engine = "bft"`, `engine = "cft"`, 1)
	require.NotEqual(t, string(data), bad)
	require.NoError(t, os.WriteFile(cfgPath, []byte(bad), 0o644))
	out, err = run(t, "config", "check", "--config", cfgPath)
	require.Error(t, err)
	require.Contains(t, out, `consensus.engine = "cft", but the genesis`)
	require.Contains(t, out, `records engine "bft"`)
}
