package main

import (
	"context"
	"errors"
	"fmt"
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
