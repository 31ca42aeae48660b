package node

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func freePorts(t *testing.T, n int) []int { return freePortsTB(t, n) }

func freePortsTB(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	return ports
}

// startLibp2pNet starts a network of `nodes` nodes, the first `producers`
// of them producers, in this process over real libp2p on loopback, configured by InitNetwork and LoadConfig as `blockwire
// testnet` does, with 100 ms blocks and logs off. The nodes stop when the
// test ends. topo, if given, wires the static peers (default full).
func startLibp2pNet(t *testing.T, nodes, producers int, topo ...Topology) []*Node {
	t.Helper()
	var topology Topology
	if len(topo) > 0 {
		topology = topo[0]
	}
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, specs, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: nodes, Producers: producers,
		P2PPorts: freePorts(t, nodes), AdminPorts: freePorts(t, nodes), Base: &base, Topology: topology})
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
	return ns
}

// TestLibp2pLoopback runs three CFT producers over real libp2p on loopback
// (TCP), configured by InitNetwork and LoadConfig as `blockwire testnet`
// does, on real time with generous bounds and no timing assertions.
func TestLibp2pLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ns := startLibp2pNet(t, 3, 3)
	require.Eventually(t, func() bool {
		for _, n := range ns {
			if _, irr := n.Head(); irr.Height < 5 {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "irreversible height 5 on every node")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := ns[2].Submit(ctx, kvTx("over", "libp2p"))
	require.NoError(t, err)
	_, err = ns[0].WaitTx(ctx, r.Hash, TxIrreversible)
	require.NoError(t, err)
	for _, n := range ns {
		peers := n.Peers()
		require.Len(t, peers, 2)
		for _, p := range peers {
			require.Contains(t, p.Address, "/ip4/127.0.0.1/tcp/")
		}
	}

	// Kill the leader (no hand-off): the survivors elect a new one and
	// irreversibility resumes.
	leader := -1
	require.Eventually(t, func() bool {
		for i, n := range ns {
			if c := n.Consensus(); c.Raft != nil && c.Raft.State == "Leader" {
				leader = i
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	survivor := ns[(leader+1)%3]
	_, irr := survivor.Head()
	killed := time.Now()
	require.NoError(t, ns[leader].Kill())
	ns = append(ns[:leader], ns[leader+1:]...)
	require.Eventually(t, func() bool {
		_, now := survivor.Head()
		return now.Height > irr.Height+1
	}, 10*time.Second, 5*time.Millisecond, "irreversibility resumes after the leader is killed")
	t.Logf("irreversibility resumed %v after the leader was killed (real time, loopback)", time.Since(killed).Round(time.Millisecond))
}

// Every log line names its component once (the layers tag their own lines;
// zerolog would print a second "component" key rather than replace it).
func TestLogLinesCarryOneComponent(t *testing.T) {
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 50 * time.Millisecond}
	base.Log.Level, base.Log.Format = "debug", "json"
	_, nodes, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 1, Producers: 1,
		P2PPorts: freePorts(t, 1), AdminPorts: freePorts(t, 1), Base: &base})
	require.NoError(t, err)
	cfg, err := LoadConfig(nodes[0].ConfigFile)
	require.NoError(t, err)
	logs, err := OpenLogs(cfg.Log, cfg.Path(cfg.Log.File), io.Discard)
	require.NoError(t, err)
	defer logs.Close()
	n, err := New(cfg, WithLogs(logs))
	require.NoError(t, err)
	require.NoError(t, n.Start(context.Background()))
	require.Eventually(t, func() bool { _, irr := n.Head(); return irr.Height >= 3 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, n.Stop())
	data, err := os.ReadFile(cfg.Path(cfg.Log.File))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Greater(t, len(lines), 5)
	components := map[string]bool{}
	for _, l := range lines {
		require.LessOrEqual(t, strings.Count(l, `"component":`), 1, l)
		var rec struct{ Component string }
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		components[rec.Component] = true
	}
	for _, c := range []string{"node", "raft", "cft", "link"} {
		require.True(t, components[c], "no %q lines in %v", c, components)
	}
}
