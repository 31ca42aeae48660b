package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// payload_errors names the route-limit refusal apart from other
// no-producer answers, so a run shows whether issue 19's failure is back.
func TestPayloadFailReason(t *testing.T) {
	limit := &apiError{Status: 503, Reason: "no-producer", Msg: "node: no producer reachable: sending to x: route: payload above Limits.MaxPayload"}
	require.Equal(t, "route-payload-limit", failReason(limit))
	require.Equal(t, "producer-timeout", failReason(&apiError{Status: 504, Reason: "producer-timeout", Msg: "no answer"}))
	require.Equal(t, "no-answer", failReason(fmt.Errorf("post: %w", context.DeadlineExceeded)))
	require.Equal(t, "unreachable", failReason(errors.New("connection refused")))
}

// A 1 MiB payload goes as transactions each under half the routed
// transport's MaxPayload, so that a stale leader can forward them; their
// values add up to the whole payload, under distinct keys.
func TestPayloadSetsFitTheRouteLimit(t *testing.T) {
	body := strings.Repeat("x", 1<<20)
	sets := payloadSets(body, 3)
	require.Len(t, sets, 3)
	total, keys := 0, map[string]bool{}
	for _, set := range sets {
		n := 0
		for k, v := range set {
			require.False(t, keys[k], "key %s twice", k)
			keys[k] = true
			n += len(v)
		}
		require.LessOrEqual(t, n, payloadTxMax)
		total += n
	}
	require.Equal(t, len(body), total)
	require.Len(t, payloadSets(strings.Repeat("y", 256<<10), 0), 1, "256 KiB stays one transaction")
}
