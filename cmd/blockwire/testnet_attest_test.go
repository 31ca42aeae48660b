package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/admin"
)

// Issue 18: `testnet --verifiers --attest` runs verifier processes beside
// the producers and node0 attests every irreversible block; `blockwire
// attest` reads a block's proof over the admin API; node0 SIGKILLed and
// restarted resumes from its store and keeps attesting.
func TestTestnetAttestsWithVerifierProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real node processes")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "tn")
	out, err := exec.Command(bin, "testnet", "--nodes", "2", "--producers", "1", "--verifiers", "2", "--attest", "L2=1,L3=1",
		"--attest-deadline", "1s", "--duration", "6s", "--dir", dir, "--json", "--keep-running").Output()
	var pids []int
	for i := range 4 {
		b, _ := os.ReadFile(filepath.Join(dir, "node"+strconv.Itoa(i), "pid"))
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, p)
		}
	}
	t.Cleanup(func() {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	})
	require.NoError(t, err, "%s", out)
	var res testnetResult
	require.NoError(t, json.Unmarshal(out, &res))
	require.NotNil(t, res.Attest)
	require.True(t, res.Attest.AllOldAttested, "%+v", res.Attest)
	require.Greater(t, res.Attest.Attested, uint64(5))
	require.InDelta(t, 2, res.Attest.RequestsPerBlock, 0.5, "one request per level")

	cfg, err := node.LoadConfig(filepath.Join(dir, "node0", "config.toml"))
	require.NoError(t, err)
	addr := cfg.Admin.Listen
	js, err := exec.Command(bin, "attest", "--node", addr, "3", "--json").Output()
	require.NoError(t, err)
	var a admin.AttestationJSON
	require.NoError(t, json.Unmarshal(js, &a))
	require.Equal(t, "attested", a.Status)
	require.Len(t, a.Levels, 2)
	human, err := exec.Command(bin, "attest", "--node", addr).CombinedOutput()
	require.NoError(t, err, "%s", human)
	require.Contains(t, string(human), "requester")

	// SIGKILL node0 and restart it: it resumes from its store.
	require.NoError(t, syscall.Kill(pids[0], syscall.SIGKILL))
	time.Sleep(500 * time.Millisecond)
	run := exec.Command(bin, "run", "--config", filepath.Join(dir, "node0", "config.toml"))
	require.NoError(t, run.Start())
	pids[0] = run.Process.Pid
	go func() { _ = run.Wait() }()
	c := newAdminClient(addr, 2*time.Second)
	var before admin.AttestStatusJSON
	waitFor(t, 30*time.Second, "node0 back", func() bool {
		return c.do(context.Background(), "GET", "/attest", nil, &before, nil) == nil
	})
	var st admin.AttestStatusJSON
	waitFor(t, 30*time.Second, "node0 attesting again", func() bool {
		return c.do(context.Background(), "GET", "/attest", nil, &st, nil) == nil && st.Finalized >= 5 && st.StalledCount == 0
	})
	require.GreaterOrEqual(t, st.Cursor, uint64(res.Attest.Attested), "the cursor survived the SIGKILL")
	// Blocks attested before the kill are not asked for again: two
	// requests per block added since the restart, beyond the re-sent
	// in-flight ones and replacements.
	require.LessOrEqual(t, st.Requests-st.Resent-st.Replacements-st.Reasks-st.Unreachable, 2*(st.Finalized+uint64(st.Pending)))
}
