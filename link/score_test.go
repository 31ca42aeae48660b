package link

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestScoresBanAndDecay(t *testing.T) {
	cfg := DefaultConnConfig().Score
	s := newScores(cfg)
	now := time.Unix(1000, 0)
	_, banned := s.penalize("p", ReasonDecode, "", now, true)
	require.False(t, banned)
	require.InDelta(t, -cfg.DecodePenalty, s.get("p", now), 1e-9)
	require.InDelta(t, -cfg.DecodePenalty/2, s.get("p", now.Add(cfg.HalfLife)), 1e-9)

	_, banned = s.penalize("q", ReasonOversize, "", now, true)
	require.False(t, banned)
	b, banned := s.penalize("q", ReasonUnknownLane, "", now, true)
	require.True(t, banned)
	require.Equal(t, "score: unknown_lane", b.Reason)
	_, ok := s.banned("q", now.Add(cfg.BanDuration-time.Second))
	require.True(t, ok)
	_, again := s.penalize("q", ReasonDecode, "", now, true)
	require.False(t, again, "a banned peer is not banned twice")
	_, ok = s.banned("q", now.Add(cfg.BanDuration))
	require.False(t, ok, "bans expire")
	require.Zero(t, s.get("q", now.Add(cfg.BanDuration)), "an expired ban starts the score over")

	s.ban("r", time.Hour, "operator", now)
	bb, ok := s.banned("r", now)
	require.True(t, ok)
	require.True(t, bb.Operator)
	s.unban("r")
	_, ok = s.banned("r", now)
	require.False(t, ok)
}

func TestBucket(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBucket(10, 2, now)
	require.True(t, b.take(now))
	require.True(t, b.take(now))
	require.False(t, b.take(now))
	require.True(t, b.take(now.Add(100*time.Millisecond)))
	u := newBucket(0, 0, now)
	for range 1000 {
		require.True(t, u.take(now))
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: 2 * time.Second, jitter: 0.2}
	rnd := rand.New(rand.NewPCG(7, 7))
	for attempt := range 80 {
		base := min(b.max, b.min<<min(attempt, 10))
		d := b.delay(attempt, rnd)
		require.GreaterOrEqual(t, d, time.Duration(float64(base)*0.8), "attempt %d", attempt)
		require.LessOrEqual(t, d, time.Duration(float64(base)*1.2), "attempt %d", attempt)
	}
	// Same seed, same delays: randomness is an input.
	r1, r2 := rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(1, 1))
	require.Equal(t, b.delay(3, r1), b.delay(3, r2))
}

// TestPreferredSymmetric: both ends of two duplicate connections pick the
// same survivor, whatever order they see them in.
func TestPreferredSymmetric(t *testing.T) {
	a, b := PeerID("aaa"), PeerID("bbb")
	mk := func(remote, dialer PeerID, key string) *session {
		return &session{sessionParams: sessionParams{remote: remote, dialer: dialer, key: key}}
	}
	cases := [][2][2]string{
		{{"aaa", "k1"}, {"bbb", "k2"}}, // dialed by different sides
		{{"aaa", "k2"}, {"aaa", "k1"}}, // both dialed by a
		{{"bbb", "k1"}, {"bbb", "k2"}}, // both dialed by b
	}
	for _, c := range cases {
		// On a: connections x and y seen with remote b; on b: remote a.
		xa, ya := mk(b, PeerID(c[0][0]), c[0][1]), mk(b, PeerID(c[1][0]), c[1][1])
		xb, yb := mk(a, PeerID(c[0][0]), c[0][1]), mk(a, PeerID(c[1][0]), c[1][1])
		require.Equal(t, preferred(xa, ya, a), preferred(xb, yb, b), "%v", c)
		require.Equal(t, preferred(xa, ya, a), !preferred(ya, xa, a), "%v", c)
	}
}
