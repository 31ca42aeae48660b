package sim

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runRoutes runs cfg and fails the test, with the replay command, when an
// invariant fails.
func runRoutes(t *testing.T, cfg RoutesConfig) RoutesResult {
	t.Helper()
	res, err := RunRoutes(cfg)
	require.NoError(t, err, "%s", res.Summary())
	return res
}

func smallRoutes(nodes int, topology string) RoutesConfig {
	cfg := DefaultRoutesConfig()
	cfg.Nodes, cfg.Topology, cfg.Destinations = nodes, topology, nodes
	cfg.Degree = 4
	cfg.Duration = 15 * time.Second
	cfg.Churn = 0
	cfg.Multicasts = 5
	return cfg
}

// psibase's test_routing: a 7-node ring where consensus needs 4, so
// producers talk through relays; a crashed producer turns the ring into a
// line and every other producer still reaches every other.
func TestRoutesPsibaseRingOfSeven(t *testing.T) {
	cfg := smallRoutes(7, TopologyRing)
	cfg.Faults = []RouteFault{{Kind: RouteCrash, At: 4 * time.Second, A: 3}, {Kind: RouteRestart, At: 9 * time.Second, A: 3}}
	res := runRoutes(t, cfg)
	require.Zero(t, res.Loops)
	require.Equal(t, 2, res.Faults)
	require.Less(t, res.ConvergenceMs, 1000.0, "re-routed within 1 s at 250 ms hellos")
	require.Equal(t, 1.0, res.MulticastDeliveredRatio)
	require.Equal(t, 1, res.MulticastMaxCopiesPerLink)
}

// psibase's test_routing also rewires the ring every second.
func TestRoutesRingRewiredEverySecond(t *testing.T) {
	cfg := smallRoutes(7, TopologyRing)
	cfg.Rewire = time.Second
	res := runRoutes(t, cfg)
	require.Zero(t, res.Loops)
	require.GreaterOrEqual(t, res.Faults, 9)
	require.Zero(t, res.Unconverged, "each rewiring converged within the second")
}

// A line of 10: every silent link failure partitions it, and nodes must
// drop routes to what they can no longer reach.
func TestRoutesLineOfTen(t *testing.T) {
	cfg := smallRoutes(10, TopologyLine)
	cfg.Faults = []RouteFault{
		{Kind: RouteDown, At: 4 * time.Second, A: 4, B: 5}, {Kind: RouteUp, At: 7 * time.Second, A: 4, B: 5},
		{Kind: RouteClose, At: 9 * time.Second, A: 0, B: 1}, {Kind: RouteUp, At: 11 * time.Second, A: 0, B: 1},
	}
	res := runRoutes(t, cfg)
	require.Zero(t, res.Loops)
	require.Equal(t, 4, res.Faults)
	require.Equal(t, 1.0, res.StretchMax, "a line has one path")
}

// psibase #1259: a restarted node was shut out for minutes. With a new
// router id per start it is reachable as soon as its links are up.
func TestRoutesRestartedNodeIsReachable(t *testing.T) {
	cfg := smallRoutes(16, TopologyRandom)
	cfg.Faults = []RouteFault{{Kind: RouteCrash, At: 4 * time.Second, A: 5}, {Kind: RouteRestart, At: 8 * time.Second, A: 5}}
	res := runRoutes(t, cfg)
	require.Less(t, res.ConvergenceMs, 1000.0)
	require.Equal(t, 1.0, res.UnicastDeliveredRatio)
	require.Positive(t, res.UnicastCounted)
}

func TestRoutesRandom200WithChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("200 nodes")
	}
	cfg := DefaultRoutesConfig()
	cfg.Nodes, cfg.Destinations, cfg.Churn, cfg.Unicast = 200, 10, 2, 5
	cfg.Duration = churnSpan(cfg.Churn)
	res := runRoutes(t, cfg)
	require.Zero(t, res.Loops)
	require.Equal(t, 1, res.MulticastMaxCopiesPerLink)
	require.Less(t, res.StretchP50, 1.05)
}

// The loop check is only worth something if it can fire: without the
// feasibility condition, churn makes forwarding loops.
func TestRoutesLoopCheckFindsLoopsWithoutFeasibility(t *testing.T) {
	found := 0
	for seed := uint64(1); seed <= 10 && found == 0; seed++ {
		cfg := sweepRoutes(seed)
		cfg.NoFeasibility = true
		res, _ := RunRoutes(cfg)
		found += res.Loops
	}
	require.Positive(t, found, "no loop without the feasibility condition: the check is blind")
}

func TestRoutesDeterminism(t *testing.T) {
	cfg := sweepRoutes(3)
	a, b := runRoutes(t, cfg), runRoutes(t, cfg)
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, a, b)
	cfg.Seed++
	c, _ := RunRoutes(cfg)
	require.NotEqual(t, a.TraceHash, c.TraceHash)
}

func TestRoutesCommandParsesBack(t *testing.T) {
	cfg := sweepRoutes(5)
	cfg.Rewire = 2 * time.Second
	cfg.NoFeasibility = true
	cfg.Faults = []RouteFault{{Kind: RouteDown, At: time.Second, A: 1, B: 2}, {Kind: RouteCrash, At: 2 * time.Second, A: 3}}
	got := DefaultRoutesConfig()
	fs := flag.NewFlagSet("routes", flag.ContinueOnError)
	got.RegisterFlags(fs)
	args := strings.Fields(strings.ReplaceAll(strings.TrimPrefix(cfg.Command(), "blockwire sim routes "), "'", ""))
	require.NoError(t, fs.Parse(args))
	require.Equal(t, cfg, got)
}

// TestRoutesSeedSweep runs 100 small networks with churn drawn from each
// seed and requires every invariant: no forwarding loop after any event,
// convergence after every fault, delivery after convergence, one multicast
// copy per link, no penalty between correct nodes.
func TestRoutesSeedSweep(t *testing.T) {
	for seed := uint64(1); seed <= 100; seed++ {
		cfg := sweepRoutes(seed)
		res, err := RunRoutes(cfg)
		if err != nil || res.Loops > 0 {
			t.Errorf("seed %d: %v\n%s\nreplay: %s", seed, err, res.Summary(), cfg.Command())
		}
	}
}

func TestRoutesSweepConfigsAreValid(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		require.NoError(t, sweepRoutes(seed).Validate(), "seed %d", seed)
	}
}

func sweepRoutes(seed uint64) RoutesConfig {
	rng := rand.New(rand.NewPCG(seed, 0x7077e5))
	cfg := DefaultRoutesConfig()
	cfg.Seed = seed
	cfg.Nodes = 4 + rng.IntN(8)
	cfg.Topology = []string{TopologyLine, TopologyRing, TopologyRandom, TopologyRandom}[rng.IntN(4)]
	cfg.Degree = 2 + 2*rng.IntN(2)
	if cfg.Degree >= cfg.Nodes {
		cfg.Degree = 2
	}
	cfg.Destinations = 1 + rng.IntN(cfg.Nodes)
	cfg.LatencyMin = time.Duration(1+rng.IntN(10)) * time.Millisecond
	cfg.LatencyMax = cfg.LatencyMin + time.Duration(rng.IntN(60))*time.Millisecond
	cfg.Jitter = time.Duration(rng.IntN(3)) * time.Millisecond
	cfg.Churn = 1 + rng.IntN(3)
	cfg.Duration = churnSpan(cfg.Churn)
	// Traffic is light: every relay checks an ed25519 signature, which
	// dominates the sweep's time under -race.
	cfg.Unicast = 2
	cfg.Multicasts = 1
	return cfg
}
