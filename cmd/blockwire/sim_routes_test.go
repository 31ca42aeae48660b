package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSimRoutesPrintsJSONWithTheIssueFields(t *testing.T) {
	out, err := run(t, "sim", "routes", "--nodes", "7", "--topology", "ring", "--destinations", "7",
		"--duration", "12s", "--churn", "1", "--unicast", "2", "--multicasts", "2", "--json")
	require.NoError(t, err, out)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	for _, field := range []string{"seed", "nodes", "destinations", "loops", "convergence_ms", "convergence_hellos",
		"stretch_p50", "stretch_max", "control_bytes_per_node_s", "unicast_delivered_ratio",
		"unicast_dropped_no_route", "multicast_max_copies_per_link", "trace_hash"} {
		require.Contains(t, res, field)
	}
	require.Equal(t, 0.0, res["loops"])
}

func TestSimRoutesRejectsABadFaultSpec(t *testing.T) {
	_, err := run(t, "sim", "routes", "--faults", "explode@1s:3")
	require.Error(t, err)
}
