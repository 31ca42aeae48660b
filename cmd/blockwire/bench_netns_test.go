package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBenchLinkPrintsLaneFloorRatio(t *testing.T) {
	out, err := run(t, "bench", "link", "--transport", "tcp", "--block-size", "1048576", "--pings", "20", "--rounds", "1", "--json")
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	for _, k := range []string{"hol_ratio", "throughput_ratio", "floor_p99_us", "lane_floor_ratio", "processes"} {
		require.Contains(t, res, k)
	}
	require.InDelta(t, res["loaded_p99_us"].(float64)/res["floor_p99_us"].(float64), res["lane_floor_ratio"].(float64), 1e-9)
	require.EqualValues(t, 1, res["processes"])
}

// The two-process mode needs root; without it the command says so and
// fails, having created nothing.
func TestBenchLinkNetnsWithoutRootFailsClearly(t *testing.T) {
	if os.Geteuid() != 0 {
		_, err := run(t, "bench", "link", "--netns", "--transport", "tcp")
		require.ErrorContains(t, err, "needs root")
		return
	}
	// As root, check the refusal through an unprivileged child.
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("root, and no setpriv to drop privileges")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", self,
		"-test.run=^TestBenchLinkNetnsWithoutRootFailsClearly$")
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "permission denied") {
		t.Skipf("the test binary is not executable by nobody: %s", out)
	}
	require.NoError(t, err, "%s", out)
}
