package admin

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/broadcastrun"
)

// broadcastingBackend is a fakeBackend with a broadcast driver's Info.
type broadcastingBackend struct {
	fakeBackend
	info broadcastrun.Info
}

func (b *broadcastingBackend) BroadcastInfo() *broadcastrun.Info { return &b.info }

func TestBroadcastInfoAndMetrics(t *testing.T) {
	p := seededPeer(t, 3)
	b := &broadcastingBackend{
		fakeBackend: fakeBackend{blocks: map[uint64]*block.Block{}, net: &fakeNetwork{}},
		info: broadcastrun.Info{CacheBytes: 2048, CacheBudget: 1 << 20, Entries: 2, Waiters: 1, Fetches: 3, Links: 1,
			Topics: map[broadcast.Topic]int{7: 1024}, Deques: []broadcastrun.DequeInfo{{Peer: p, Digests: 2, Bytes: 2048}},
			Stats:  map[string]uint64{"received": 5, "duplicates": 1},
			Bodies: map[broadcast.Topic]uint64{7: 6}, Refused: map[broadcast.Reason]uint64{broadcast.ReasonRejected: 2},
			Drops: map[string]uint64{"link-queue-full": 1}},
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Attach(b)
	srv := httptest.NewServer(Handler(b, Config{Registry: reg, WaitTimeout: time.Second}))
	t.Cleanup(srv.Close)

	code, body, _ := call(t, srv, "GET", "/broadcast", "")
	require.Equal(t, 200, code)
	require.EqualValues(t, 2048, body["cache_bytes"])
	require.EqualValues(t, 1, body["waiters"])
	deques := body["deques"].([]any)
	require.Len(t, deques, 1)
	require.Equal(t, p.String(), deques[0].(map[string]any)["peer"])
	require.EqualValues(t, 6, body["bodies"].(map[string]any)["7"])

	_, _, raw := call(t, srv, "GET", "/metrics", "")
	for _, want := range []string{
		"blockwire_broadcast_cache_bytes 2048",
		"blockwire_broadcast_cache_entries 2",
		"blockwire_broadcast_waiters 1",
		"blockwire_broadcast_fetches 3",
		`blockwire_broadcast_messages_total{outcome="received"} 5`,
		`blockwire_broadcast_bodies_total{topic="7"} 6`,
		`blockwire_broadcast_drops_total{reason="rejected"} 2`,
		`blockwire_broadcast_drops_total{reason="link-queue-full"} 1`,
	} {
		require.Contains(t, raw, want)
	}
}

func TestBroadcastWithoutADriverIs501(t *testing.T) {
	srv, _ := newTestServer(t)
	code, body, _ := call(t, srv, "GET", "/broadcast", "")
	require.Equal(t, 501, code)
	require.Equal(t, "no-broadcast", body["reason"])
}
