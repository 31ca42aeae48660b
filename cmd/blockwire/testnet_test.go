package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// buildBinary builds blockwire without the race detector, so node processes
// run at production speed whatever flags the test itself runs under.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "blockwire")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freePorts returns n TCP ports that were free a moment ago on loopback.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func status(t *testing.T, p *proc) (node.Status, error) {
	t.Helper()
	var st node.Status
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := p.client.do(ctx, "GET", "/status", nil, &st, nil)
	return st, err
}

// irreversible is p's irreversible height, 0 while p does not answer.
func irreversible(t *testing.T, p *proc) uint64 {
	t.Helper()
	st, err := status(t, p)
	if err != nil {
		return 0
	}
	return st.Irreversible.Height
}

// allAtLeast is a waitFor condition: every one of ps has an irreversible
// height of at least h.
func allAtLeast(t *testing.T, h uint64, ps ...*proc) func() bool {
	return func() bool {
		for _, p := range ps {
			if irreversible(t, p) < h {
				return false
			}
		}
		return true
	}
}

// waitFor polls cond every 50 ms until it holds or limit passes, and
// returns how long it took.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// TestTestnetSurvivesTheLeadersDeathAndARestart is issue 6's acceptance run
// with real processes over libp2p on loopback: 3 producers and a full node;
// SIGKILL the leader, irreversibility resumes on the survivors; restart the
// killed node from its directory, it catches up and agrees on the state;
// the full node follows throughout.
func TestTestnetSurvivesTheLeadersDeathAndARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four node processes")
	}
	bin := buildBinary(t)
	nodes, procs := startProcNet(t, bin, t.TempDir(), time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitFor(t, 30*time.Second, "irreversibility reaches 5 everywhere", allAtLeast(t, 5, procs...))

	leader := -1
	waitFor(t, 10*time.Second, "a producing leader", func() bool {
		for i, p := range procs[:3] {
			if st, err := status(t, p); err == nil && st.Producing {
				leader = i
				return true
			}
		}
		return false
	})
	var survivors []*proc
	for i, p := range procs {
		if i != leader {
			survivors = append(survivors, p)
		}
	}
	before := map[*proc]uint64{}
	for _, p := range survivors {
		before[p] = irreversible(t, p)
	}
	procs[leader].kill()
	killedAt := time.Now()
	for _, p := range survivors {
		waitFor(t, 15*time.Second, p.info.Name+" advances irreversibility after the leader died", func() bool {
			return irreversible(t, p) > before[p]+1
		})
		t.Logf("%s: irreversibility resumed %v after SIGKILL of %s (measured, not asserted)",
			p.info.Name, time.Since(killedAt).Round(time.Millisecond), procs[leader].info.Name)
	}

	// The full node (node3) has followed throughout.
	full := procs[3]
	require.NotEqual(t, 3, leader)
	fullBefore := irreversible(t, full)
	waitFor(t, 10*time.Second, "the full node keeps following", func() bool { return irreversible(t, full) > fullBefore+5 })

	// Restart the killed producer from its directory: it catches up.
	restarted, err := startProc(bin, nodes[leader])
	require.NoError(t, err)
	procs[leader] = restarted // stopped by startProcNet's cleanup
	require.NoError(t, restarted.waitHealthy(ctx))
	target := irreversible(t, survivors[0])
	took := waitFor(t, 30*time.Second, "the restarted node catches up", func() bool { return irreversible(t, procs[leader]) >= target })
	t.Logf("%s caught up to irreversible height %d in %v after restart", nodes[leader].Name, target, took.Round(time.Millisecond))

	var res testnetResult
	res.IrreversibleMin = ^uint64(0)
	clients := make([]*adminClient, len(procs))
	for i, p := range procs {
		clients[i] = p.client
		res.IrreversibleMin = min(res.IrreversibleMin, irreversible(t, p))
	}
	compareStateRoots(ctx, &res, clients)
	require.True(t, res.StateRootsEqual, fmt.Sprint(res.Problems))
}

// startProcNet writes a 4-node network (3 producers, 100 ms blocks) into
// dir with InitNetwork, as `blockwire testnet` does, starts one bin
// process per node, stops them when the test ends, and waits until every
// admin API answers (within healthy).
func startProcNet(t *testing.T, bin, dir string, healthy time.Duration) ([]node.NetworkNode, []*proc) {
	t.Helper()
	ports := freePorts(t, 8)
	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: 100 * time.Millisecond}
	base.Log.Format = "json"
	_, nodes, err := node.InitNetwork(node.NetworkSpec{
		Dir: dir, Nodes: 4, Producers: 3, P2PPorts: ports[:4], AdminPorts: ports[4:], Base: &base,
	})
	require.NoError(t, err)
	procs := make([]*proc, len(nodes))
	for i, n := range nodes {
		procs[i], err = startProc(bin, n)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			_ = p.stop(10 * time.Second)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), healthy)
	defer cancel()
	for _, p := range procs {
		require.NoError(t, p.waitHealthy(ctx))
	}
	return nodes, procs
}
