package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSimBroadcastPrintsJSONWithTheIssueFields(t *testing.T) {
	out, err := run(t, "sim", "broadcast", "--nodes", "8", "--topology", "ring", "--messages", "5",
		"--msg-size", "1024", "--loss", "0.01", "--byz", "3:pullflood", "--json")
	require.NoError(t, err, out)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	for _, field := range []string{"seed", "nodes", "messages", "msg_size", "copies_per_node", "delivered_ratio",
		"p100_ms", "ideal_ms", "cache_bytes_max_per_node", "pull_requests", "trace_hash"} {
		require.Contains(t, res, field)
	}
	require.Equal(t, 1.0, res["delivered_ratio"])
}

func TestSimBroadcastRejectsABadByzantineSpec(t *testing.T) {
	_, err := run(t, "sim", "broadcast", "--byz", "3:explode")
	require.Error(t, err)
}
