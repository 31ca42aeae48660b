package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// BenchmarkLibp2pSubmit measures transactions per second committed by three
// CFT producers and one full node over libp2p on loopback, with b.N
// key-value transactions submitted through SubmitAsync spread over the four
// nodes by 64 workers; the clock stops when the last one is irreversible on
// the full node. Run: go test ./node -run XXX -bench Libp2pSubmit -benchtime 20000x
func BenchmarkLibp2pSubmit(b *testing.B) {
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, nodes, err := InitNetwork(NetworkSpec{Dir: b.TempDir(), Nodes: 4, Producers: 3,
		P2PPorts: freePortsB(b, 4), AdminPorts: freePortsB(b, 4), Base: &base})
	require.NoError(b, err)
	var ns []*Node
	defer func() {
		for _, n := range ns {
			require.NoError(b, n.Stop())
		}
	}()
	for _, nd := range nodes {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(b, err)
		n, err := New(cfg, WithLogger(testLogger(nd.Name)))
		require.NoError(b, err)
		require.NoError(b, n.Start(context.Background()))
		ns = append(ns, n)
	}
	require.Eventually(b, func() bool { _, irr := ns[3].Head(); return irr.Height >= 3 }, 30*time.Second, 10*time.Millisecond)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	const workers = 64
	var wg sync.WaitGroup
	hashes := make([]block.Hash, b.N)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < b.N; i += workers {
				h, err := ns[i%4].SubmitAsync(ctx, kvTx(fmt.Sprintf("key-%d", i), "value"))
				if err != nil {
					b.Error(err)
					return
				}
				hashes[i] = h
			}
		})
	}
	wg.Wait()
	for _, h := range hashes {
		_, err := ns[3].WaitTx(ctx, h, TxIrreversible)
		require.NoError(b, err)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "tx/s")
}

func freePortsB(b *testing.B, n int) []int { return freePortsTB(b, n) }
