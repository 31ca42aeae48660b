package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestVersionAndHelp(t *testing.T) {
	out, err := run(t, "--version")
	require.NoError(t, err)
	require.Contains(t, out, "blockwire version")
	out, err = run(t, "--help")
	require.NoError(t, err)
	require.Contains(t, out, "Usage:")
}

func TestUnknownCommandFails(t *testing.T) {
	_, err := run(t, "frobnicate")
	require.Error(t, err)
}

func TestSimPrintsJSONWithTheIssueFields(t *testing.T) {
	out, err := run(t, "sim", "--nodes", "6", "--blocks", "5", "--block-size", "4096", "--json")
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	for _, field := range []string{"seed", "nodes", "blocks_produced", "heads_agree", "irreversible_min",
		"irreversible_max", "safety_violations", "correct_rejections", "liveness_max_ms", "copies_per_node",
		"dissemination_p50_ms", "dissemination_p100_ms", "ideal_dissemination_ms", "hellos_per_sync",
		"events", "wall_ms", "trace_hash"} {
		require.Contains(t, res, field)
	}
	require.Equal(t, true, res["heads_agree"])
}

func TestSimIsReproducibleFromItsFlags(t *testing.T) {
	args := []string{"sim", "--nodes", "8", "--blocks", "6", "--seed", "7", "--mode", "rotate", "--producers", "3",
		"--faults", "partition@200ms-600ms:0-3/4-7", "--json"}
	hash := func() any {
		out, err := run(t, args...)
		require.NoError(t, err)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		return res["trace_hash"]
	}
	require.Equal(t, hash(), hash())
}

func TestSimRejectsABadFaultSpec(t *testing.T) {
	_, err := run(t, "sim", "--faults", "explode@1s:3")
	require.Error(t, err)
}
