package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// runCLI runs the blockwire binary and returns its stdout, stderr and
// error.
func runCLI(t *testing.T, bin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// The `producers` command end to end (issues 10 and 12) with real node
// processes over libp2p on loopback: 3 producers and a full node. A change
// signed by one producer is refused with its reason; the full node is added
// with one key file and one share from `producers sign`, and says
// "producer"; a genesis producer is removed with three keys and says
// "full". Restarted — the added node with role = "producer" in its config,
// the removed one with its config unchanged — both start, keep their
// effective roles, and irreversibility goes on.
func TestProducersCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes")
	}
	bin := buildBinary(t)
	nodes, procs := startProcNet(t, bin, t.TempDir(), 2*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	waitFor(t, 30*time.Second, "irreversibility reaches 3 everywhere", allAtLeast(t, 3, procs...))
	key := func(i int) string { return filepath.Join(nodes[i].Dir, "node.key") }
	full, fullID, at := procs[3], nodes[3].PeerID.String(), nodes[3].AdminAddr
	role := func(p *proc) node.Role {
		st, err := status(t, p)
		if err != nil {
			return ""
		}
		return st.Role
	}

	out, _, err := runCLI(t, bin, "producers", "list", "--node", at)
	require.NoError(t, err)
	require.Contains(t, out, "3 producers")
	require.Contains(t, out, "next change nonce 1; a change needs the signatures of 2 of them")
	require.Equal(t, node.RoleFull, role(full))

	// One signature of three: refused, and nothing changes.
	_, errOut, err := runCLI(t, bin, "producers", "add", "--peer", fullID, "--key", key(0), "--node", at)
	require.Error(t, err)
	require.Contains(t, errOut, "change-no-quorum")

	// A key file and a share signed elsewhere.
	share, errOut, err := runCLI(t, bin, "producers", "sign", "--op", "add", "--peer", fullID, "--key", key(1), "--node", nodes[0].AdminAddr)
	require.NoError(t, err, errOut)
	out, errOut, err = runCLI(t, bin, "producers", "add", "--peer", fullID, "--key", key(0), "--share", strings.TrimSpace(share), "--node", at)
	require.NoError(t, err, errOut)
	require.Contains(t, out, "irreversible")
	waitFor(t, 10*time.Second, "the added full node says producer", func() bool { return role(full) == node.RoleProducer })

	// Remove genesis producer node2: three of the four sign.
	out, errOut, err = runCLI(t, bin, "producers", "remove", "--peer", nodes[2].PeerID.String(),
		"--key", key(0), "--key", key(1), "--key", key(3), "--node", nodes[0].AdminAddr)
	require.NoError(t, err, errOut)
	require.Contains(t, out, "irreversible")
	waitFor(t, 10*time.Second, "the removed producer says full", func() bool { return role(procs[2]) == node.RoleFull })
	out, _, err = runCLI(t, bin, "producers", "list", "--node", at)
	require.NoError(t, err)
	require.Contains(t, out, "3 producers")
	require.Contains(t, out, "next change nonce 3")
	require.NotContains(t, out, nodes[2].PeerID.String())

	// Restart both; node3's config now says role = "producer".
	require.NoError(t, procs[3].stop(10*time.Second))
	cfgBytes, err := os.ReadFile(nodes[3].ConfigFile)
	require.NoError(t, err)
	require.Contains(t, string(cfgBytes), `role = "full"`)
	require.NoError(t, os.WriteFile(nodes[3].ConfigFile, []byte(strings.Replace(string(cfgBytes), `role = "full"`, `role = "producer"`, 1)), 0o644))
	require.NoError(t, procs[2].stop(10*time.Second))
	for _, i := range []int{2, 3} {
		procs[i], err = startProc(bin, nodes[i])
		require.NoError(t, err)
		require.NoError(t, procs[i].waitHealthy(ctx))
	}
	require.Equal(t, node.RoleProducer, role(procs[3]))
	require.Equal(t, node.RoleFull, role(procs[2]))
	var cs node.ConsensusStatus
	require.NoError(t, procs[2].client.do(ctx, "GET", "/consensus", nil, &cs, nil))
	require.False(t, cs.Member, "the removed producer is no raft member after a restart")
	require.Nil(t, cs.Raft)
	target := irreversible(t, procs[0]) + 5
	waitFor(t, 30*time.Second, "irreversibility goes on everywhere", allAtLeast(t, target, procs...))
	out, _, err = runCLI(t, bin, "status", "--node", nodes[2].AdminAddr)
	require.NoError(t, err)
	require.Contains(t, out, "(full, cft)")
	require.Contains(t, out, "— config says producer")
}
