package node

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/link"
)

// Issue 11, attack 2 over real libp2p: a fresh identity sends the leader
// 100 hellos/s naming an old irreversible 3.6 MB block. The leader reads
// no block body for them; the blocks it produced before and during the
// attack are logged (a measurement, not an assertion: see
// docs/benchmarks.md). Before the fix every hello read and decoded the
// whole block on the leader's loop.
func TestHelloFloodOverLibp2pReadsNoBody(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, nodes, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 3, Producers: 3,
		P2PPorts: freePorts(t, 3), AdminPorts: freePorts(t, 3), Base: &base})
	require.NoError(t, err)
	var ns []*Node
	defer func() {
		for _, n := range ns {
			require.NoError(t, n.Stop())
		}
	}()
	for _, nd := range nodes {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		n, err := New(cfg, WithLogger(testLogger(nd.Name)))
		require.NoError(t, err)
		require.NoError(t, n.Start(context.Background()))
		ns = append(ns, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var ops []chain.KVOp
	value := bytes.Repeat([]byte{'v'}, 60_000)
	for i := range 60 {
		ops = append(ops, chain.KVOp{Kind: chain.KVSet, Key: []byte(fmt.Sprint("big-", i)), Value: value})
	}
	r, err := ns[0].Submit(ctx, chain.AppendKVTx(nil, ops...))
	require.NoError(t, err)
	r, err = ns[0].WaitTx(ctx, r.Hash, TxIrreversible)
	require.NoError(t, err)
	var leader *Node
	require.Eventually(t, func() bool {
		for _, n := range ns {
			if c := n.Consensus(); c.Raft != nil && c.Raft.State == "Leader" {
				leader = n
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)

	cfg := link.DefaultConfig()
	cfg.QUIC, cfg.ListenAddrs = false, []string{"/ip4/127.0.0.1/tcp/0"}
	cfg.Logger = zerolog.Nop()
	hst, err := link.New(cfg, link.HandlerFuncs{})
	require.NoError(t, err)
	defer hst.Close()
	l, err := hst.Connect(ctx, leader.Network().(*link.Host).AddrInfo())
	require.NoError(t, err)

	const window = 3 * time.Second
	h0, _ := leader.Head()
	time.Sleep(window) // the baseline: production without the attack
	h1, _ := leader.Head()
	reads := leader.chain.Log().BodyReads()
	hello := blocksync.Encode(&blocksync.Hello{ID: r.Block, Head: true})
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		for range 10 {
			require.NoError(t, l.Send(link.LaneSync, hello))
		}
	}
	h2, _ := leader.Head()
	t.Logf("leader blocks per %v: %d before, %d during 100 hellos/s naming block %d (3.6 MB)",
		window, h1.Height-h0.Height, h2.Height-h1.Height, r.Height)
	require.Less(t, leader.chain.Log().BodyReads()-reads, uint64(10), "hellos must not read block bodies")
}
