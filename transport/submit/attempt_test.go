package submit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/route"
)

// "A submit that reached a producer that does not lead goes to the leader
// next" (docs/protocol.md §10), at most MaxRedirects times; an answer
// without a leader (an election) is retried after RetryDelay.
func TestAnswersRedirectThenRetry(t *testing.T) {
	a, b := route.NodeID{1}, route.NodeID{2}
	at := &Attempt{Dest: a}
	require.Equal(t, Finish, at.Answered(&Answer{Code: Accepted}))
	require.Equal(t, Finish, at.Answered(&Answer{Code: Rejected}))
	for range MaxRedirects {
		require.Equal(t, Redirect, at.Answered(&Answer{Code: NoProducer, Leader: b}))
		require.Equal(t, b, at.Leader)
	}
	require.Equal(t, Retry, at.Answered(&Answer{Code: NoProducer, Leader: b}), "redirects exhausted")
	require.Zero(t, at.Leader)
	at = &Attempt{Dest: a}
	require.Equal(t, Retry, at.Answered(&Answer{Code: NoProducer, Leader: a}), "naming itself is no redirect")
	require.Equal(t, Retry, at.Answered(&Answer{Code: NoProducer}))
}

// Only an attempt someone waits for is retried, and only within its
// budget; a closed first hop costs one of MaxRetries re-sends.
func TestRetriesStayWithinTheBudget(t *testing.T) {
	start := time.Unix(100, 0)
	at := &Attempt{Start: start}
	when, ok := at.RetryAt(start, true, time.Second)
	require.True(t, ok)
	require.Equal(t, start.Add(RetryDelay), when)
	_, ok = at.RetryAt(start, false, time.Second)
	require.False(t, ok, "a hand-off is not retried here")
	_, ok = at.RetryAt(start.Add(time.Second-RetryDelay), true, time.Second)
	require.False(t, ok, "the next try would end past the budget")

	for range MaxRetries {
		require.True(t, at.LinkClosed(true))
	}
	require.False(t, at.LinkClosed(true))
	require.False(t, (&Attempt{}).LinkClosed(false))
}

// Dest: the hinted leader, then the known leader, then the lowest
// reachable producer; never self, never an unreachable one.
func TestDestPrefersAReachableLeader(t *testing.T) {
	self, a, b, c := route.NodeID{9}, route.NodeID{1}, route.NodeID{2}, route.NodeID{3}
	up := map[route.NodeID]bool{self: true, b: true, c: true}
	routed := func(id route.NodeID) bool { return up[id] }
	ps := []route.NodeID{self, c, a, b}

	got, ok := Dest(ps, self, c, b, routed)
	require.True(t, ok)
	require.Equal(t, c, got, "the leader a producer named")
	got, _ = Dest(ps, self, route.NodeID{}, c, routed)
	require.Equal(t, c, got, "the leader as known here")
	got, _ = Dest(ps, self, a, route.NodeID{}, routed)
	require.Equal(t, b, got, "an unreachable hint: the lowest reachable producer")
	got, _ = Dest(ps, self, self, self, routed)
	require.Equal(t, b, got, "never self")
	_, ok = Dest([]route.NodeID{self, a}, self, a, a, routed)
	require.False(t, ok, "no producer reachable")
}
