package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The issue's acceptance command, at a smaller size: every field the issue
// names is printed.
func TestSimAttestPrintsJSONWithTheIssueFields(t *testing.T) {
	out, err := run(t, "sim", "attest", "--verifiers", "12", "--unresponsive", "4", "--blocks", "30", "--json")
	require.NoError(t, err, out)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	for _, field := range []string{"seed", "blocks", "attested_ratio", "attest_p50_ms", "attest_p99_ms",
		"requests_per_block", "replacements", "excess_refused", "under_attested", "trace_hash"} {
		require.Contains(t, res, field)
	}
	require.Equal(t, 1.0, res["attested_ratio"])
	require.Equal(t, 0.0, res["under_attested"])
}

func TestSimAttestRejectsBadLevels(t *testing.T) {
	_, err := run(t, "sim", "attest", "--levels", "L3=1,L2=1")
	require.Error(t, err)
}
