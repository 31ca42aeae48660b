package admin

import (
	"bytes"
	"crypto/ed25519"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// routingBackend is a fakeBackend that routes.
type routingBackend struct {
	fakeBackend
	routes []transport.RouteInfo
	stats  transport.Stats
}

func (b *routingBackend) Routes() []transport.RouteInfo    { return b.routes }
func (b *routingBackend) TransportStats() *transport.Stats { return &b.stats }

func seededPeer(t *testing.T, seed byte) peer.ID {
	t.Helper()
	k, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	require.NoError(t, err)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	return id
}

func TestRoutesAndRoutingMetrics(t *testing.T) {
	dest, hop := seededPeer(t, 1), seededPeer(t, 2)
	b := &routingBackend{
		fakeBackend: fakeBackend{blocks: map[uint64]*block.Block{}, net: &fakeNetwork{banned: map[peer.ID]string{}}},
		routes: []transport.RouteInfo{{Dest: dest, NextHop: hop, Reachable: true, Metric: 42,
			RTT: 3 * time.Millisecond, RouterID: 7, Seqno: 9, FDSeqno: 9, FDMetric: 40, Age: time.Second}},
		stats: transport.Stats{Destinations: 2, Reachable: 1, QueueDepth: 3,
			Route: route.Stats{ControlBytes: 1234, DataForwarded: 5, Drops: map[route.Reason]uint64{route.ReasonNoRoute: 2}},
			Drops: map[string]uint64{"link-queue-full": 1}},
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Attach(b)
	srv := httptest.NewServer(Handler(b, Config{Registry: reg, WaitTimeout: time.Second}))
	t.Cleanup(srv.Close)

	code, _, raw := call(t, srv, "GET", "/routes", "")
	require.Equal(t, 200, code)
	require.JSONEq(t, `[{"dest":"`+dest.String()+`","next_hop":"`+hop.String()+`","reachable":true,"metric":42,"rtt_ns":3000000,
		"router_id":7,"seqno":9,"fd_seqno":9,"fd_metric":40,"age_ns":1000000000,"queued":0}]`, raw)

	_, _, raw = call(t, srv, "GET", "/metrics", "")
	for _, want := range []string{
		`blockwire_routes{state="reachable"} 1`,
		`blockwire_routes{state="unreachable"} 1`,
		"blockwire_route_queue_depth 3",
		`blockwire_route_drops_total{reason="no-route"} 2`,
		`blockwire_route_drops_total{reason="link-queue-full"} 1`,
		"blockwire_route_control_bytes_total 1234",
		`blockwire_route_data_total{stage="forwarded"} 5`,
	} {
		require.Contains(t, raw, want)
	}
}

func TestRoutesWithoutATransportIs501(t *testing.T) {
	srv, _ := newTestServer(t)
	code, body, _ := call(t, srv, "GET", "/routes", "")
	require.Equal(t, 501, code)
	require.Equal(t, "no-transport", body["reason"])
}
