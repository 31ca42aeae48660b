package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAttackSpoofedStatusOnRealProcesses runs issue 11's attack 6 through
// the harness against four real node processes: a fresh identity that
// completes the handshake sends one hello naming height 2^40−1. The
// victim records the claim as the peer's unverified head (so the hello
// landed) but its operator signal, best_peer_height, never counts it, and
// no producer bans another. The other attacks take minutes: `blockwire
// bench attack` (docs/benchmarks.md).
func TestAttackSpoofedStatusOnRealProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	_, procs := startProcNet(t, bin, dir, 2*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	waitFor(t, 30*time.Second, "irreversibility reaches 5 everywhere", func() bool {
		for _, p := range procs {
			if st, err := status(t, p); err != nil || st.Irreversible.Height < 5 {
				return false
			}
		}
		return true
	})

	net, err := openAttackNet(ctx, dir)
	require.NoError(t, err)
	res, err := attackSpoof(ctx, net, attackOptions{baseline: 2 * time.Second, duration: 6 * time.Second, txRate: 20})
	require.NoError(t, err)
	t.Logf("%+v", *res)
	require.Equal(t, uint64(1<<40-1), res.Extra["attacker_peer_head_height"], "the spoofed hello reached the victim")
	require.Zero(t, res.Extra["attacker_verified_head_height"])
	require.Less(t, res.BestPeerHeightMax, uint64(1<<30), "an unsigned hello must not set best_peer_height")
	require.Empty(t, res.ProducerBans)
	require.Positive(t, res.RateDuring, "production went on")
}
