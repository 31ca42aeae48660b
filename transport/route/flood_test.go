package route

import (
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/require"
)

// signedFrom is a genuine message from origin o to dests, sequence seq.
func signedFrom(nt *tnet, o int, seq uint64, dests ...int) *Data {
	m := &Data{Class: ClassApp, HopLimit: 8, Origin: nt.ids[o], Seq: uint64(nt.now.UnixMilli())<<16 + seq,
		Remaining: make([]byte, bitmapLen(len(dests))), Payload: []byte("p")}
	for i, d := range dests {
		m.Dests = append(m.Dests, nt.ids[d])
		m.Remaining[i/8] |= 1 << (i % 8)
	}
	signData(nt.keys[o], m)
	return m
}

func floodNet(t *testing.T, lim FloodLimit) *tnet {
	nt := newNet(t, 4, func(_ int, c *Config) { c.FloodUnicast, c.FloodMulticast = lim, lim })
	nt.connect(0, 1, 5*ms)
	nt.connect(1, 2, 5*ms)
	nt.connect(1, 3, 5*ms)
	nt.run(time.Second)
	return nt
}

func TestARelayDropsAnOriginOverItsLimitAndChargesItOncePerEpisode(t *testing.T) {
	nt := floodNet(t, FloodLimit{Rate: 10, Burst: 5})
	r := nt.nodes[1]
	var fwd, drops, pens int
	for i := range 20 {
		require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, uint64(i), 2)))
		rd := r.Ready()
		fwd += len(rd.Messages)
		for _, d := range rd.Dropped {
			require.Equal(t, ReasonOriginFlood, d.Reason)
			require.Equal(t, nt.ids[0], d.Origin)
			drops++
		}
		for _, p := range rd.Penalties {
			require.Equal(t, ReasonOriginFlood, p.Err.Reason)
			require.Equal(t, nt.ids[0], p.Peer, "the origin itself is the neighbour: charged")
			pens++
		}
		r.Advance()
	}
	require.Equal(t, 5, fwd, "the burst")
	require.Equal(t, 14, drops, "typed drops, never silent")
	require.Equal(t, 1, pens, "one penalty per flooding episode (it records the first drop)")
	require.EqualValues(t, 15, r.Stats().Drops[ReasonOriginFlood])

	// Half a second refills five tokens at 10/s.
	nt.now = nt.now.Add(500 * ms)
	require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, 100, 2)))
	rd := r.Ready()
	require.Len(t, rd.Messages, 1, "the bucket refilled")
	r.Advance()
}

func TestARelayedFloodIsDroppedButTheRelayNotCharged(t *testing.T) {
	// Node 1 relays origin 2's messages handed over by neighbour 3, which
	// is not their origin (3 relays them, as far as 1 can tell).
	nt := floodNet(t, FloodLimit{Rate: 1, Burst: 1})
	r := nt.nodes[1]
	for i := range 3 {
		require.NoError(t, r.Step(nt.now, nt.ids[3], signedFrom(nt, 2, uint64(i), 0)))
	}
	rd := r.Ready()
	require.Len(t, rd.Messages, 1)
	require.Len(t, rd.Dropped, 2)
	require.Empty(t, rd.Penalties, "the neighbour only passed the origin's flood on")
	r.Advance()
}

func TestMessagesEndingHereAreNotCharged(t *testing.T) {
	nt := floodNet(t, FloodLimit{Rate: 1, Burst: 1})
	r := nt.nodes[1]
	for i := range 5 {
		require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, uint64(i), 1)))
	}
	rd := r.Ready()
	require.Len(t, rd.Delivered, 5, "the limit is on relaying")
	require.Empty(t, rd.Dropped)
	r.Advance()
}

func TestAForgerCannotDrainAnHonestOriginsBucket(t *testing.T) {
	// 3 sends messages claiming origin 0 with bad signatures: they are
	// refused before the bucket is charged, so 0's own message still goes.
	nt := floodNet(t, FloodLimit{Rate: 1, Burst: 1})
	r := nt.nodes[1]
	for range 5 {
		require.NoError(t, r.Step(nt.now, nt.ids[3], forgedData(nt, 2)))
	}
	r.Ready()
	r.Advance()
	require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, 1, 2)))
	rd := r.Ready()
	require.Len(t, rd.Messages, 1)
	r.Advance()
}

func TestUnicastAndMulticastHaveSeparateBuckets(t *testing.T) {
	nt := newNet(t, 4, func(_ int, c *Config) {
		c.FloodUnicast, c.FloodMulticast = FloodLimit{Rate: 1, Burst: 1}, FloodLimit{Rate: 1, Burst: 2}
	})
	nt.connect(0, 1, 5*ms)
	nt.connect(1, 2, 5*ms)
	nt.connect(1, 3, 5*ms)
	nt.run(time.Second)
	r := nt.nodes[1]
	require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, 1, 2)))
	for i := range 3 {
		require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, uint64(10+i), 2, 3)))
	}
	rd := r.Ready()
	require.Equal(t, 1, len(rd.Dropped)+len(rd.Penalties), "one unicast and two multicasts fit, the third multicast does not")
	r.Advance()
}

// Property: over any arrival pattern a bucket never lets through more than
// Burst + Rate × elapsed messages, and lets through every message of a
// pattern that stays under Rate.
func TestFloodBucketBound(t *testing.T) {
	f := func(gaps []uint16, rate8, burst8 uint8) bool {
		lim := FloodLimit{Rate: float64(rate8%50) + 1, Burst: int(burst8%20) + 1}
		nt := newLine(t, 3, func(_ int, c *Config) { c.FloodUnicast = lim })
		r := nt.nodes[1]
		start := nt.now
		passed := 0
		for i, g := range gaps {
			nt.now = nt.now.Add(time.Duration(g%500) * ms)
			if r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, uint64(i), 2)) != nil {
				return false
			}
			rd := r.Ready()
			passed += len(rd.Messages)
			r.Advance()
		}
		bound := float64(lim.Burst) + lim.Rate*nt.now.Sub(start).Seconds()
		return float64(passed) <= bound+1e-9
	}
	require.NoError(t, quick.Check(f, &quick.Config{MaxCount: 30}))
	// Conforming traffic passes whole: one message per 1/Rate seconds.
	nt := floodNet(t, FloodLimit{Rate: 10, Burst: 1})
	r := nt.nodes[1]
	for i := range 50 {
		nt.now = nt.now.Add(100 * ms)
		require.NoError(t, r.Step(nt.now, nt.ids[0], signedFrom(nt, 0, uint64(i), 2)))
		rd := r.Ready()
		require.Len(t, rd.Messages, 1, "message %d", i)
		r.Advance()
	}
}

func TestFloodLimitValidation(t *testing.T) {
	c := DefaultConfig()
	c.Key = testKey(0)
	c.RouterID = 1
	require.NoError(t, c.Validate())
	c.FloodUnicast = FloodLimit{Rate: 5, Burst: 0}
	require.ErrorContains(t, c.Validate(), "FloodUnicast")
	c.FloodUnicast = FloodLimit{}
	require.NoError(t, c.Validate(), "0 turns it off")
	c.FloodMulticast = FloodLimit{Rate: -1, Burst: 1}
	require.ErrorContains(t, c.Validate(), "FloodMulticast")
}
