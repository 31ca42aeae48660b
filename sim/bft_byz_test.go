package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every behaviour of the catalogue, with a partition as the adversarial
// prefix: no safety, ancestry or double-sign violation, no correct node
// penalized, and every correct node finalizes at least 10 blocks after the
// partition heals while the byzantine producer goes on misbehaving. Each
// behaviour must also leave evidence that it acted, or the test proves
// nothing about it.
func TestBFTCatalogueKeepsSafetyAndRecovers(t *testing.T) {
	for _, b := range BFTBehaviours() {
		t.Run(string(b), func(t *testing.T) {
			cfg := smallBFT(t, 7, "byz@1:"+string(b)+",partition@300ms-900ms:0+1/2-11")
			r, res := simulate(t, cfg)
			require.False(t, res.Failed(), res.Summary())
			bc := r.cons.(*bftCons)
			require.GreaterOrEqual(t, res.BFT.FinalizedAfterPrefixMin, int64(10), res.Command)
			require.InDelta(t, 900, res.BFT.PrefixEndMs, 0.001)
			switch b {
			case ByzDoubleVote, ByzUnknownBlock, ByzForge:
				require.Positive(t, res.Penalties, "%s was never caught: %s", b, res.Command)
			case ByzSilent, ByzNullify:
				require.Positive(t, res.BFT.ViewChanges, res.Command)
			}
			switch b {
			case ByzEquivocate, ByzDoubleVote, ByzTwin:
				require.Positive(t, bc.byzVotes.doubles, "%s never signed conflicting votes: %s", b, res.Command)
			}
		})
	}
}

// f = 2 of 7 producers byzantine at once (twins and an equivocator), with
// loss and jitter on every link.
func TestBFTTwoByzantineOfSeven(t *testing.T) {
	cfg := smallBFT(t, 3, "byz@2:twin,byz@5:equivocate,partition@0s-600ms:0-2+9/3-8+10-15")
	cfg.Nodes, cfg.Producers, cfg.Jitter, cfg.Loss = 16, 7, 2_000_000, 0.02
	_, res := simulate(t, cfg)
	require.False(t, res.Failed(), res.Summary())
	require.GreaterOrEqual(t, res.BFT.FinalizedAfterPrefixMin, int64(10), res.Command)
}

// Crashes at every kind of persist/send boundary (before the sync, after
// some sends, after all): the restarted engines replay their records and
// never contradict a vote they sent.
func TestBFTCrashPointsReplayRecords(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		cfg := smallBFT(t, seed, "crashpoint@0s-1500ms:0-3:0.2,byz@1:equivocate")
		_, res := simulate(t, cfg)
		require.False(t, res.Failed(), res.Summary())
		require.Positive(t, res.BFT.CrashPoints, res.Command)
		require.Zero(t, res.BFT.DoubleSignsByCorrect, res.Command)
		require.GreaterOrEqual(t, res.BFT.FinalizedAfterPrefixMin, int64(10), res.Command)
	}
}

// The checkers fire on a deliberately broken driver: one that never syncs
// the records. Every vote leaves uncovered (persist before send), and once
// crashpoints restart the engines without their records, correct producers
// sign against their own earlier votes (double signs). The same seeds with
// the real driver are clean.
func TestBFTCheckerCatchesSkippedPersist(t *testing.T) {
	doubles := 0
	for seed := uint64(1); seed <= 4; seed++ {
		cfg := smallBFT(t, seed, "crashpoint@0s-2s:0-3:0.3,byz@1:equivocate")
		r, err := newRunner(cfg)
		require.NoError(t, err)
		r.cons.(*bftCons).skipPersist = true
		r.schedule()
		r.loop()
		res := r.result()
		require.True(t, res.Failed())
		require.True(t, anyFailure(res, "persist before send"), res.Summary())
		doubles += res.BFT.DoubleSignsByCorrect

		_, good := simulate(t, cfg)
		require.False(t, good.Failed(), good.Summary())
	}
	require.Positive(t, doubles, "restarts without records never double-signed: the double-sign checker is untested")
}

func anyFailure(res Result, sub string) bool {
	for _, f := range res.Failures {
		if strings.Contains(f, sub) {
			return true
		}
	}
	return false
}

// The run must fail, with its replay command, when the correct producers
// cannot recover after the prefix: here 2 of 4 are silent, so no quorum
// ever forms.
func TestBFTNoRecoveryFailsTheRun(t *testing.T) {
	cfg := smallBFT(t, 1, "byz@1+2:silent,partition@0s-300ms:0-1/2-11")
	cfg.Settle = 2_000_000_000
	res, err := Run(cfg)
	require.ErrorIs(t, err, ErrInvariant)
	require.Contains(t, err.Error(), "bft recovery")
	require.Zero(t, res.BFT.FinalizedAfterPrefixMin)
	require.Contains(t, err.Error(), "--faults")
}

func TestBFTFaultSyntax(t *testing.T) {
	fs, err := ParseFaults("crashpoint@1s-4s:0-3:0.1,crashpoint@0s-2s:1,byz@2:twin")
	require.NoError(t, err)
	require.Equal(t, 0.1, fs[0].Rate)
	require.Equal(t, defaultCrashRate, fs[1].Rate)
	require.Equal(t, "crashpoint@1s-4s:0-3:0.1,crashpoint@0s-2s:1:0.05,byz@2:twin", FormatFaults(fs))
	cfg := smallBFT(t, 1, "")
	for bad, why := range map[string]string{
		"byz@5:forge":            "not a producer",
		"byz@3:twin":             "", // host node 7 exists: valid
		"crashpoint@2s-1s:0":     "heal time",
		"crashpoint@0s-1s:0:1.5": "rate",
	} {
		fs, err := ParseFaults(bad)
		require.NoError(t, err, bad)
		cfg.Faults = fs
		err = cfg.Validate()
		if why == "" {
			require.NoError(t, err, bad)
		} else {
			require.ErrorContains(t, err, why, bad)
		}
	}
	cfg.Nodes = 5
	cfg.Faults, _ = ParseFaults("byz@1:twin")
	require.ErrorContains(t, cfg.Validate(), "twin")
	rot := small(t, "byz@1:doublevote")
	rot.Mode, rot.Producers = ModeRotate, 4
	require.ErrorContains(t, rot.Validate(), "bft mode")
}
