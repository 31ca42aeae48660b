package node

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMeasureReliableBroadcast measures reliable broadcast among
// producers over real libp2p on loopback (one process): every producer
// broadcasts back to back (one instance in flight per producer), and the
// test reports deliveries per second at producer 0 and the origin's
// latency (Broadcast call to its own delivery) p50 and p99. It runs only
// with BLOCKWIRE_RBC_MEASURE=<producers> (docs/benchmarks.md); it asserts
// no timing, only that every broadcast was delivered.
func TestMeasureReliableBroadcast(t *testing.T) {
	v := os.Getenv("BLOCKWIRE_RBC_MEASURE")
	if v == "" {
		t.Skip("set BLOCKWIRE_RBC_MEASURE=<producers> to measure")
	}
	producers, err := strconv.Atoi(v)
	require.NoError(t, err)
	ns := startLibp2pNet(t, producers, producers)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Warm-up: routes converge and every producer delivers one.
	var wg sync.WaitGroup
	for _, n := range ns {
		wg.Go(func() { _, err := n.ReliableBroadcast(ctx, []byte("warm-up")); require.NoError(t, err) })
	}
	wg.Wait()
	for _, size := range []int{1 << 10, 64 << 10} {
		per := 200
		if size > 1<<10 {
			per = 50
		}
		sub := ns[0].SubscribeReliable(producers * per * 2)
		var mu sync.Mutex
		var lat []time.Duration
		start := time.Now()
		for i, n := range ns {
			wg.Go(func() {
				payload := make([]byte, size)
				for k := range per {
					copy(payload, fmt.Sprintf("%d/%d", i, k))
					t0 := time.Now()
					_, err := n.ReliableBroadcast(ctx, payload)
					require.NoError(t, err)
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for range producers * per {
			select {
			case <-sub.C():
			case <-ctx.Done():
				t.Fatal("producer 0 did not deliver every broadcast")
			}
		}
		elapsed := time.Since(start)
		sub.Close()
		slices.Sort(lat)
		t.Logf("producers=%d payload=%dB broadcasts=%d deliveries/s at producer 0=%.0f latency p50=%v p99=%v",
			producers, size, len(lat), float64(len(lat))/elapsed.Seconds(),
			lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*99/100].Round(100*time.Microsecond))
	}
	st := ns[0].ReliableStatus(ctx)
	t.Logf("producer 0 counters %+v; transport drops %v route drops %v", st.Counters, ns[0].TransportStats().Drops, ns[0].TransportStats().Route.Drops)
}
