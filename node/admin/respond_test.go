package admin

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// A call the node's loop did not take before its deadline answers 504
// "timeout" with an unknown outcome, not 500 "internal" (fails on the old
// code, which had no case for a bare context deadline).
func TestLoopDeadlineIsATimeout(t *testing.T) {
	for _, err := range []error{context.DeadlineExceeded, fmt.Errorf("wait: %w", context.DeadlineExceeded)} {
		status, reason := nodeErrorStatus(err)
		require.Equal(t, http.StatusGatewayTimeout, status)
		require.Equal(t, "timeout", reason)
		require.Equal(t, node.OutcomeUnknown, node.SubmitOutcome(err))
	}
	status, reason := nodeErrorStatus(fmt.Errorf("something else"))
	require.Equal(t, http.StatusInternalServerError, status)
	require.Equal(t, "internal", reason)
}
