package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// `blockwire sim rbc --json` prints issue 17's fields, with all three
// violation counts 0 and the good case in 3 rounds.
func TestSimRBCPrintsJSONWithTheIssueFields(t *testing.T) {
	out, err := run(t, "sim", "rbc", "--nodes", "4", "--byzantine", "1", "--seeds", "3", "--json")
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	for _, field := range []string{"seeds", "instances", "agreement_violations", "totality_violations",
		"validity_violations", "deliver_rounds_p50", "messages_per_instance", "trace_hash", "command"} {
		require.Contains(t, res, field)
	}
	for _, v := range []string{"agreement_violations", "totality_violations", "validity_violations", "double_signs", "correct_penalties"} {
		require.Equal(t, 0.0, res[v], v)
	}
	require.Equal(t, 3.0, res["deliver_rounds_p50"])
	require.Equal(t, 3.0, res["seeds"])
}

func TestSimRBCRejectsTooManyByzantine(t *testing.T) {
	_, err := run(t, "sim", "rbc", "--nodes", "4", "--byzantine", "2")
	require.ErrorContains(t, err, "--byzantine 2")
}
