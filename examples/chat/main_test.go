package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMain runs the program itself when the test binary is started as a
// chat process (CHAT_AS_MAIN=1): the test needs no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("CHAT_AS_MAIN") == "1" {
		os.Args = append([]string{"chat"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestChatProcessesDeliverEveryLine writes a 5-node line testnet and starts
// one real process per node on loopback (this test binary running main):
// every process must receive every other process's lines (4 × 3 each).
func TestChatProcessesDeliverEveryLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir := t.TempDir()
	bin, err := os.Executable()
	require.NoError(t, err)
	command := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), "CHAT_AS_MAIN=1")
		return c
	}
	net := filepath.Join(dir, "net")
	out, err := command("init", "--dir", net, "--nodes", "5", "--topology", "line").CombinedOutput()
	require.NoError(t, err, "%s", out)

	const nodes, messages = 5, 3
	cmds := make([]*exec.Cmd, nodes)
	stdout := make([]*bytes.Buffer, nodes)
	stderr := make([]*bytes.Buffer, nodes)
	for i := range cmds {
		cmds[i] = command("run", "--dir", net, "--node", itoa(i), "--nodes", itoa(nodes),
			"--messages", itoa(messages), "--timeout", "90s")
		stdout[i], stderr[i] = &bytes.Buffer{}, &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = stdout[i], stderr[i]
		require.NoError(t, cmds[i].Start())
	}
	for i, c := range cmds {
		require.NoError(t, c.Wait(), "process %d: %s", i, stderr[i])
		var r Report
		require.NoError(t, json.Unmarshal(stdout[i].Bytes(), &r), "process %d printed %q", i, stdout[i])
		require.Equal(t, i, r.Node)
		require.Equal(t, messages, r.Sent)
		require.Equal(t, messages*(nodes-1), r.Expected)
		require.Equal(t, r.Expected, r.Received, "process %d: every line of every other process", i)
		require.GreaterOrEqual(t, r.Bodies, uint64(r.Expected), "a line received is a body received")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
