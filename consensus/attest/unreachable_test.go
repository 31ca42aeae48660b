package attest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A request the transport could not deliver is replaced at once by the
// next verifier of the ranking (another destination, another route),
// not at its deadline; a stale report changes nothing.
func TestUnreachableVerifierIsReplacedAtOnce(t *testing.T) {
	fx := newFixture(t)
	id := bid(3, 1)
	s, d := fx.start(id)
	first := requestsIn(d.take(s))
	require.Len(t, first, 3)
	now := epoch.Add(100 * time.Millisecond)
	require.True(t, s.Unreachable(now, first[0].To, id))
	repl := requestsIn(d.take(s))
	require.Len(t, repl, 1)
	ranked := fx.dir.Ranked(&fx.cfg.Levels[0], id)
	require.Equal(t, ranked[3], repl[0].To)
	require.Equal(t, now.Add(time.Second), repl[0].Msg.Request.Deadline)
	require.EqualValues(t, 1, s.Status().Stats.Unreachable)
	require.True(t, d.states[id].Asked[0].Missed, "recorded before the replacement leaves")

	require.False(t, s.Unreachable(now, first[0].To, id), "already missed")
	require.False(t, s.Unreachable(now, ranked[5], id), "never asked")
	require.False(t, s.Unreachable(now, first[1].To, bid(9, 9)), "unknown block")
	for _, rc := range fx.answer(now, first[1:2], nil) {
		require.NoError(t, s.Receipt(now, rc.To, rc.Msg.Receipt))
	}
	d.take(s)
	require.False(t, s.Unreachable(now, first[1].To, id), "answered already")
	require.Empty(t, requestsIn(d.take(s)))
}
