package syncstate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1000, 0)

func TestTrackerStates(t *testing.T) {
	tr := New(Config{Slack: 2, StallAfter: 10 * time.Second}, t0, 100)
	require.Equal(t, Synced, tr.State(t0, 102), "within the slack")
	require.Equal(t, CatchingUp, tr.State(t0, 103))
	tr.Head(t0.Add(5*time.Second), 101)
	require.Equal(t, CatchingUp, tr.State(t0.Add(14*time.Second), 200), "our head moved 9 s ago")
	require.Equal(t, Stalled, tr.State(t0.Add(15*time.Second), 200))
	require.Equal(t, Stalled, tr.State(t0.Add(15*time.Second), 102), "behind, even within the slack, and not moving")
	require.Equal(t, Synced, tr.State(t0.Add(time.Hour), 101), "no peer ahead: the whole chain halted, not us")
	tr.Head(t0.Add(time.Hour), 150)
	require.Equal(t, CatchingUp, tr.State(t0.Add(time.Hour), 200), "progress ends the stall")
	tr.Head(t0.Add(2*time.Hour), 140)
	require.Equal(t, Stalled, tr.State(t0.Add(2*time.Hour), 200), "a lower head (fork switch) is no progress")
}
