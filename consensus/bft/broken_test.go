package bft

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The checkers must fire on a deliberately broken engine (a mutation
// check, as Twins' self-injected bugs): a checker that never fires proves
// nothing. Each test sweeps seeds with one mutation applied to every
// correct node and requires the named checker to catch it.

func brokenSweep(t *testing.T, broken brokenMode, seeds int, tune func(*scenario)) []string {
	t.Helper()
	var found []string
	m := newMemo()
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		sc := scenario{seed: seed, n: 4, delta: 10 * time.Millisecond, byz: map[int]actorKind{1: actorEquivocate},
			crash: 0.05, prefix: 300 * time.Millisecond, post: 200 * time.Millisecond, broken: broken}
		if tune != nil {
			tune(&sc)
		}
		nt := newNet(t, sc, m)
		found = append(found, nt.run().violations...)
	}
	return found
}

func anyContains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestCheckerCatchesSigningWithoutTheSafetyRecord: an engine that ignores
// its own earlier votes (no replay, notarizes every proposal it sees)
// double-signs for an equivocating leader, and the cross-node double-sign
// checker says so.
func TestCheckerCatchesSigningWithoutTheSafetyRecord(t *testing.T) {
	found := brokenSweep(t, brokenMode{noSafety: true}, 10, nil)
	require.True(t, anyContains(found, "double sign by correct signer"), "the double-sign checker missed a broken engine: %v", found)
	none := brokenSweep(t, brokenMode{}, 10, nil)
	require.Empty(t, none, "the same seeds with the correct engine")
}

// TestCheckerCatchesSkippedPersist: a driver that sends votes without
// persisting their records trips the persist-before-send assertion, and
// after crash-restarts the double-sign checker too (a restarted producer
// that forgot its votes contradicts them).
func TestCheckerCatchesSkippedPersist(t *testing.T) {
	found := brokenSweep(t, brokenMode{skipPersist: true}, 30, func(sc *scenario) {
		sc.crash, sc.loss = 0.1, 0.05
	})
	require.True(t, anyContains(found, "persist before send"), "%v", found)
	require.True(t, anyContains(found, "double sign by correct signer"), "no double sign after restarts without records: %v", found)
}

// TestCheckerCatchesFastPathOnTooFewVotes: an engine that fast-finalizes on
// n−1 notarize votes emits finalizations a light client refuses (a
// notarization counts as final only signed by every member), and with a
// liar splitting views the safety checker sees conflicting final blocks.
func TestCheckerCatchesFastPathOnTooFewVotes(t *testing.T) {
	found := brokenSweep(t, brokenMode{fastShort: true}, 10, nil)
	require.True(t, anyContains(found, "does not verify"), "%v", found)
}

// TestCheckerCatchesIgnoredReports: an engine that ignores nullify reports
// skips a view whose block was fast-finalized at one producer, and the
// safety checker sees the conflict. The links deliver view 3's notarize
// votes to instance 0 only (it fast-finalizes B) and drop every
// notarization of view 3 (its fast certificate), so the others time out,
// nullify view 3 — each reporting B — and the next leaders must build on B.
func TestCheckerCatchesIgnoredReports(t *testing.T) {
	tune := func(sc *scenario) {
		sc.byz, sc.crash = nil, 0
		sc.drop = func(m Message, _, dst int) bool {
			if v := m.Vote; v != nil {
				return v.Kind == Notarize && v.View == 3 && dst != 0
			}
			return m.Cert.Kind == Notarize && m.Cert.View == 3
		}
	}
	found := brokenSweep(t, brokenMode{noReports: true}, 5, tune)
	require.True(t, anyContains(found, "final as"), "%v", found)
	none := brokenSweep(t, brokenMode{}, 5, tune)
	require.Empty(t, none, "the same seeds with the correct engine")
}
