package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func initNet(t *testing.T, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	_, err := run(t, append([]string{"init", "--dir", dir}, args...)...)
	require.NoError(t, err)
	return dir
}

// `config check` validates without starting and names every problem
// (issue 12 item 7; the command did not exist).
func TestConfigCheck(t *testing.T) {
	dir := initNet(t, "--hosts", "10.0.0.1,10.0.0.2,10.0.0.3", "--producers", "3")
	cfgPath := filepath.Join(dir, "node1", "config.toml")
	out, err := run(t, "config", "check", "--config", cfgPath)
	require.NoError(t, err, out)
	require.Contains(t, out, "is valid")
	require.Contains(t, out, "(producer, cft)")
	require.Contains(t, out, "127.0.0.1:9100 (loopback, no token)")

	// A bad value stops at the key; problems past loading are all listed.
	data, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	bad := strings.Replace(string(data), `block_interval = "500ms"`, `block_interval = "5ms"`, 1)
	require.NoError(t, os.WriteFile(cfgPath, []byte(bad), 0o644))
	_, err = run(t, "config", "check", "--config", cfgPath)
	require.ErrorContains(t, err, "consensus.block_interval: 5ms, want ≥ 10ms")

	bad = strings.Replace(string(data), `listen = "127.0.0.1:9100"`, `listen = "0.0.0.0:9100"`, 1)
	require.NoError(t, os.WriteFile(cfgPath, []byte(bad), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "node1", "admin.token")))
	require.NoError(t, os.Remove(filepath.Join(dir, "genesis.json")))
	out, err = run(t, "config", "check", "--config", cfgPath)
	require.Error(t, err)
	require.Contains(t, out, "node.genesis_file:")
	require.Contains(t, out, "admin.token_file (needed: admin.listen 0.0.0.0:9100 is not loopback)")
}

// `keys show` prints the identity the genesis lists, never creating a key.
func TestKeysShowMatchesTheGenesis(t *testing.T) {
	dir := initNet(t, "--nodes", "2", "--producers", "2")
	out, err := run(t, "keys", "show", "--config", filepath.Join(dir, "node1", "config.toml"), "--json")
	require.NoError(t, err)
	var k keyInfo
	require.NoError(t, json.Unmarshal([]byte(out), &k))
	g, err := os.ReadFile(filepath.Join(dir, "genesis.json"))
	require.NoError(t, err)
	require.Contains(t, string(g), `"peer_id": "`+k.PeerID+`"`)
	require.Contains(t, string(g), `"public_key": "`+k.PublicKey+`"`)
	_, err = run(t, "keys", "show", "--key-file", filepath.Join(dir, "nope.key"))
	require.ErrorContains(t, err, "does not exist")
	require.NoFileExists(t, filepath.Join(dir, "nope.key"))
}

// init's admin port and the CLI's default --node agree (issue 12 item 3:
// init used base-port+1000+i, the CLI 127.0.0.1:9100).
func TestInitAdminPortIsTheCLIDefault(t *testing.T) {
	dir := initNet(t, "--nodes", "3", "--producers", "3")
	data, err := os.ReadFile(filepath.Join(dir, "node0", "config.toml"))
	require.NoError(t, err)
	require.Contains(t, string(data), `listen = "`+defaultAdmin+`"`)
	var f nodeFlags
	f.config = filepath.Join(dir, "node2", "config.toml")
	require.NoError(t, f.resolve(false))
	require.Equal(t, "127.0.0.1:9102", f.addr, "--config finds the node's admin address")
	require.Len(t, f.token, 64, "and its token")
}
