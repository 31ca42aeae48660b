package node

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The gossipsub baseline (p2p.relay = gossipsub) carries every body: with
// blocksync off for bodies, full nodes still follow the chain, and each
// counts its copies per block from gossipsub's tracer. Fails on the old
// code: there is no such relay.
func TestGossipsubRelayCarriesBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	base.P2P.Relay = RelayGossipsub
	_, specs, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 4, Producers: 2,
		P2PPorts: freePorts(t, 4), AdminPorts: freePorts(t, 4), Base: &base})
	require.NoError(t, err)
	var ns []*Node
	t.Cleanup(func() {
		for _, n := range ns {
			require.NoError(t, n.Stop())
		}
	})
	for _, nd := range specs {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		n, err := New(cfg, WithLogger(testLogger(nd.Name)))
		require.NoError(t, err)
		require.NoError(t, n.Start(context.Background()))
		ns = append(ns, n)
	}
	require.Eventually(t, func() bool {
		for _, n := range ns {
			if _, irr := n.Head(); irr.Height < 10 {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "irreversible height 10 on every node")
	for _, n := range ns[2:] {
		c := n.Counters()
		var gossiped int
		for _, a := range n.Propagation(2) {
			if a.Relay == RelayGossipsub {
				gossiped++
				require.GreaterOrEqual(t, a.Copies, 1)
			}
		}
		require.Positive(t, gossiped, "full node got bodies from gossipsub")
		t.Logf("%s: %d blocks by gossipsub, %d duplicates", n.cfg.Node.Name, gossiped, c.BodyDuplicates)
		for _, p := range n.Peers() {
			require.Zero(t, p.BlocksSent, "blocksync sent no bodies")
		}
	}
}
