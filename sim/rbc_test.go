package sim

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
)

// TestRBCSweep is issue 17's sweep: seeds 1..200 (RBC_SEEDS=k for more,
// RBC_SEED=s for one), each a network of n ∈ {4, 7, 10} participants with
// f = ⌊(n−1)/3⌋ byzantine ones drawn from every behaviour, 5% loss, a
// partition and a crash-restart per seed: no agreement, totality or
// validity violation, no double signature, no correct participant
// penalized, and the good case delivers in 3 rounds. A failure prints the
// command that replays its seed.
func TestRBCSweep(t *testing.T) {
	seeds, first := uint64(200), uint64(1)
	if v, err := strconv.ParseUint(os.Getenv("RBC_SEEDS"), 10, 64); err == nil {
		seeds = v
	}
	if v, err := strconv.ParseUint(os.Getenv("RBC_SEED"), 10, 64); err == nil {
		first, seeds = v, 1
	}
	if testing.Short() {
		seeds = min(seeds, 30)
	}
	const groups = 2 // the seeds are independent: use both cores
	for g := range uint64(groups) {
		t.Run(strconv.FormatUint(g, 10), func(t *testing.T) {
			if seeds > 1 {
				t.Parallel()
			}
			for s := first + g; s < first+seeds; s += groups {
				cfg := DefaultRBCConfig()
				cfg.Nodes = []int{4, 7, 10}[s%3]
				cfg.Byzantine = (cfg.Nodes - 1) / 3
				cfg.Seed, cfg.Seeds = s, 1
				res, err := RunRBC(cfg)
				if err != nil {
					t.Fatalf("%v\n%s", err, res.Summary())
				}
				require.Equal(t, 3.0, res.DeliverRoundsP50, "seed %d: good case; replay: %s", s, res.Command)
			}
		})
	}
}

// One seed, one trace: the same config gives the same hash, another seed
// another.
func TestRBCDeterminism(t *testing.T) {
	cfg := DefaultRBCConfig()
	cfg.Seeds = 2
	a, err := RunRBC(cfg)
	require.NoError(t, err)
	b, err := RunRBC(cfg)
	require.NoError(t, err)
	require.Equal(t, a, b)
	cfg.Seed = 3
	c, err := RunRBC(cfg)
	require.NoError(t, err)
	require.NotEqual(t, a.TraceHash, c.TraceHash)
}

// Every byzantine behaviour is exercised and meets the defence it should:
// the refusal counts name them.
func TestRBCByzantineBehavioursAreRefused(t *testing.T) {
	for _, tc := range []struct {
		behaviour string
		reasons   []rbc.Reason
	}{
		{RBCDoubleEcho, []rbc.Reason{rbc.ReasonEquivocation}},
		{RBCForge, []rbc.Reason{rbc.ReasonBadSignature, rbc.ReasonSignerMismatch, rbc.ReasonNonMember, rbc.ReasonNoQuorum}},
		{RBCReplay, []rbc.Reason{rbc.ReasonSignerMismatch, rbc.ReasonBadSignature, rbc.ReasonDuplicate}},
		{RBCEquivocate, []rbc.Reason{rbc.ReasonInvalidPayload}},
		{RBCFlood, []rbc.Reason{rbc.ReasonTooManyInstances}},
	} {
		cfg := DefaultRBCConfig()
		cfg.Behaviours = []string{tc.behaviour}
		cfg.Seeds = 2
		res, err := RunRBC(cfg)
		require.NoError(t, err, "%s", res.Summary())
		for _, r := range tc.reasons {
			require.Positive(t, res.Refused[string(r)], "%s: %s refusals: %v", tc.behaviour, r, res.Refused)
		}
	}
	// Silent byzantine participants cost nothing but their own messages.
	cfg := DefaultRBCConfig()
	cfg.Behaviours, cfg.Loss, cfg.Partitions, cfg.Crashes = []string{RBCSilent}, 0, 0, 0
	res, err := RunRBC(cfg)
	require.NoError(t, err)
	require.Equal(t, 3.0, res.DeliverRoundsP50All)
}

// The checker can fail: deliveries that break agreement, totality and
// validity are each counted.
func TestRBCCheckerFindsViolations(t *testing.T) {
	cfg := DefaultRBCConfig()
	cfg.Byzantine, cfg.Crashes, cfg.Loss, cfg.Partitions, cfg.Duration = 0, 0, 0, 0, 11*1e9+2*cfg.FaultWindow
	r, err := runRBCSeed(cfg, 1)
	require.NoError(t, err)
	require.Zero(t, r.m.agreement+r.m.totality+r.m.validity)
	var inst rbc.Instance
	for i := range r.m.payload {
		inst = i
		break
	}
	d := r.nodes[0].delivered[inst][0]
	// Node 1 delivered another payload, node 2 nothing.
	other := d
	other.Payload = []byte(payloadPrefix + "other")
	r.nodes[1].delivered[inst] = []rbc.Delivery{other}
	delete(r.nodes[2].delivered, inst)
	r.checkInstance(inst)
	require.Equal(t, 1, r.m.agreement)
	require.Equal(t, 1, r.m.totality)
	require.GreaterOrEqual(t, r.m.validity, 2, "node 1's certificate does not match its payload, and the origin's payload is missing")
}

// Every printed replay command parses back into the same config.
func TestRBCCommandRoundTrips(t *testing.T) {
	cfg := DefaultRBCConfig()
	cfg.Seed, cfg.Nodes, cfg.Byzantine, cfg.Behaviours, cfg.Loss = 42, 10, 3, []string{RBCForge, RBCSilent}, 0.125
	args := strings.Fields(strings.TrimPrefix(cfg.Command(), "blockwire sim rbc "))
	got := DefaultRBCConfig()
	fs := flag.NewFlagSet("rbc", flag.ContinueOnError)
	got.RegisterFlags(fs)
	require.NoError(t, fs.Parse(args))
	require.Equal(t, cfg, got)
}
