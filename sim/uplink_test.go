package sim

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// starConfig is a solo producer at the centre of a star with k children,
// 1 MiB blocks spaced far enough apart that one block's sends never overlap
// the next one's, 100 Mbit/s links and no jitter or loss.
func starConfig(k int) Config {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Topology, cfg.Blocks, cfg.BlockSize = k+1, TopologyStar, 4, 1<<20
	cfg.Interval, cfg.Latency, cfg.Bandwidth = 2*time.Second, 5*time.Millisecond, 100_000_000
	return cfg
}

// A producer with one shaped uplink that sends a block to its k children
// at once finishes the last copy after k × size / rate; with a bandwidth per
// link (no uplink) every child has it after size / rate. The second half
// fails without the egress model.
func TestUplinkStarDeliversLastChildAfterKTimesSizeOverRate(t *testing.T) {
	const k = 8
	perCopy := time.Duration(int64(1<<20) * 8 * int64(time.Second) / 100_000_000) // 83.9 ms

	perLink := run(t, starConfig(k))
	require.InDelta(t, ms(perCopy+5*time.Millisecond), perLink.DisseminationP100Ms, 5, "per-link bandwidth: every child after one copy's time")

	cfg := starConfig(k)
	cfg.Uplink = 100_000_000
	shared := run(t, cfg)
	want := ms(k*perCopy + 5*time.Millisecond)
	require.InDelta(t, want, shared.DisseminationP100Ms, want*0.05, "shared uplink: the last child after k copies' time")
	// Fair service: the children finish together, not one after another.
	require.InDelta(t, shared.DisseminationP100Ms, shared.DisseminationP50Ms, ms(perCopy))
	require.InDelta(t, 1.0, shared.CopiesPerNode, 0.001)
}

// A link never runs faster than its Bandwidth, even under a faster uplink.
func TestUplinkNeverExceedsLinkBandwidth(t *testing.T) {
	cfg := starConfig(1)
	cfg.Uplink = 1_000_000_000
	res := run(t, cfg)
	require.InDelta(t, 83.9+5, res.DisseminationP100Ms, 5)
}

// The acceptance topology (16 nodes of degree 4, 3 rotating producers,
// 1 MiB blocks, jitter and loss) with a shared uplink repeats exactly from
// its seed, and the uplink changes the run.
func TestUplinkSameSeedSameResult(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode, cfg.Producers, cfg.Blocks, cfg.BlockSize = ModeRotate, 3, 12, 1<<20
	cfg.Interval, cfg.Jitter, cfg.Loss, cfg.Uplink = 500*time.Millisecond, time.Millisecond, 0.01, 100_000_000
	a, b := run(t, cfg), run(t, cfg)
	a.WallMs, b.WallMs, a.EventsPerSec, b.EventsPerSec = 0, 0, 0, 0
	ja, err := json.Marshal(a)
	require.NoError(t, err)
	jb, err := json.Marshal(b)
	require.NoError(t, err)
	require.JSONEq(t, string(ja), string(jb), "same seed, same JSON")
	require.Contains(t, a.Command, "--uplink 100000000")

	cfg.Uplink = 0
	require.NotEqual(t, a.TraceHash, run(t, cfg).TraceHash, "the uplink is part of the run")
}

// --uplink takes tc's units and the replay command parses back.
func TestUplinkFlagRoundTrip(t *testing.T) {
	want := starConfig(3)
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	got := DefaultConfig()
	got.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{"--uplink", "100mbit"}))
	require.Equal(t, int64(100_000_000), got.Uplink)

	want.Uplink = 2_500_000
	require.Contains(t, want.Command(), "--uplink 2500000")
	got = DefaultConfig()
	fs = flag.NewFlagSet("sim", flag.ContinueOnError)
	got.RegisterFlags(fs)
	require.NoError(t, fs.Parse(shellWords(t, strings.TrimPrefix(want.Command(), "blockwire sim "))))
	require.Equal(t, want, got)
	require.NotContains(t, DefaultConfig().Command(), "--uplink", "off by default: existing commands are unchanged")
}

func TestUplinkBadValues(t *testing.T) {
	for _, s := range []string{"fast", "-1mbit", "10mbyte", ""} {
		_, err := ParseRate(s)
		require.Error(t, err, s)
	}
	cfg := DefaultConfig()
	cfg.Uplink = -1
	require.ErrorContains(t, cfg.Validate(), "uplink")
	cfg.Uplink, cfg.Mode, cfg.Producers = 1_000_000, ModeBFT, 4
	require.ErrorContains(t, cfg.Validate(), "blocksync modes")
}
