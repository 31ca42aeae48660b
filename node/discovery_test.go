package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 19 item 1 in the node, over real libp2p on loopback: six nodes
// that know only one seed (no static peers) each reach p2p.target_peers,
// the chain commits on every one of them, and the book says when each
// reached its target. Node 0 also keeps a static peer, which discovery
// never sheds.
func TestDiscoveryFromOneSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, specs, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 6, Producers: 1, Seeds: 1, TargetPeers: 3,
		P2PPorts: freePorts(t, 6), AdminPorts: freePorts(t, 6), Base: &base})
	require.NoError(t, err)
	var ns []*Node
	t.Cleanup(func() {
		for _, n := range ns {
			require.NoError(t, n.Stop())
		}
	})
	for i, nd := range specs {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		require.Empty(t, cfg.P2P.StaticPeers)
		if i == 5 {
			require.Empty(t, cfg.P2P.Seeds, "the seed lists no seed but itself")
		} else {
			require.Len(t, cfg.P2P.Seeds, 1)
		}
		if i == 0 {
			cfg.P2P.StaticPeers = specs[4].PeerAddrs
		}
		n, err := New(cfg, WithLogger(testLogger(nd.Name)))
		require.NoError(t, err)
		require.NoError(t, n.Start(context.Background()))
		ns = append(ns, n)
	}
	ok := func() bool {
		for _, n := range ns {
			book, err := n.PeerBook(context.Background())
			if err != nil || book.ReachedAfterMs < 0 || len(n.Network().Links()) < 3 {
				return false
			}
			if _, irr := n.Head(); irr.Height < 3 {
				return false
			}
		}
		return true
	}
	for end := time.Now().Add(60 * time.Second); !ok() && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, ok(), "every node reached its target and commits: %s", describeBooks(ns))
	require.NotNil(t, ns[0].Network().Link(ns[4].ID()), "the static peer is kept")
	book, err := ns[1].PeerBook(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, book.Entries)
	var verified int
	for _, e := range book.Entries {
		if e.Verified {
			verified++
		}
	}
	require.Positive(t, verified)
}

func describeBooks(ns []*Node) string {
	out := ""
	for i, n := range ns {
		book, err := n.PeerBook(context.Background())
		_, irr := n.Head()
		out += fmt.Sprintf("\nnode%d links %d irr %d err %v book %+v", i, len(n.Network().Links()), irr.Height, err, book.Status)
		for _, d := range book.Dropped {
			out += fmt.Sprintf("\n   dropped %+v", d)
		}
		for _, e := range book.Entries {
			out += fmt.Sprintf("\n   entry %s %s %v %s verified=%v connected=%v failures=%d %s", n.ID(), e.ID, e.Addrs, e.Kind, e.Verified, e.Connected, e.Failures, e.LastError)
		}
	}
	return out
}
