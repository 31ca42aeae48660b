package relay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A pacer lets Burst go at once, then Rate per second, never more than
// MaxInFlight awaiting answers, and names when the next one may go.
func TestPacerPacesAndBoundsInFlight(t *testing.T) {
	p, err := NewPacer(PacerConfig{Rate: 1000, Burst: 100, MaxInFlight: 150}, t0)
	require.NoError(t, err)
	require.Equal(t, 100, p.Allow(t0, 1000, 0))
	require.Equal(t, 0, p.Allow(t0, 1000, 100))
	require.Equal(t, t0.Add(time.Millisecond), p.Next(t0).Truncate(time.Millisecond))
	require.Equal(t, 50, p.Allow(t0.Add(50*time.Millisecond), 1000, 100), "50 ms refill 50")
	require.Equal(t, 0, p.Allow(t0.Add(100*time.Millisecond), 1000, 150), "in-flight bound")
	require.Equal(t, 50, p.Allow(t0.Add(100*time.Millisecond), 1000, 100))
	require.Equal(t, 3, p.Allow(t0.Add(time.Second), 3, 0), "never more than wanted")
	// Over ten seconds a greedy driver sends at most Burst + 10 × Rate.
	q, err := NewPacer(PacerConfig{Rate: 1000, Burst: 100, MaxInFlight: 1 << 30}, t0)
	require.NoError(t, err)
	sent := 0
	for now := t0; now.Before(t0.Add(10 * time.Second)); now = q.Next(now) {
		sent += q.Allow(now, 1<<30, 0)
	}
	require.InDelta(t, 100+10*1000, sent, 2)
}

func TestPacerConfigValidateNamesTheField(t *testing.T) {
	require.ErrorContains(t, PacerConfig{Rate: 0, Burst: 1, MaxInFlight: 1}.Validate(), "Rate")
	require.ErrorContains(t, PacerConfig{Rate: 1, Burst: 0, MaxInFlight: 1}.Validate(), "Burst")
	require.ErrorContains(t, PacerConfig{Rate: 1, Burst: 1, MaxInFlight: 0}.Validate(), "MaxInFlight")
	require.NoError(t, DefaultPacerConfig().Validate())
	require.ErrorContains(t, Config{}.Validate(), "MaxPerOrigin")
}
