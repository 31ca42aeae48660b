package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/transport"
)

// fakeAdmin serves /status, /consensus and /routes as a node would.
func fakeAdmin(t *testing.T, st node.Status, cs node.ConsensusStatus, routes []transport.RouteInfo) *adminClient {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(path string, v any) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(v) })
	}
	serve("/status", st)
	serve("/consensus", cs)
	serve("/routes", routes)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return newAdminClient(srv.URL, 2*time.Second)
}

// A node reaches a producer when it produces, or has a reachable route
// to a producer other than itself; routes to full nodes, unreachable
// routes and a route to itself do not count.
func TestReachesProducerNeedsARouteToAnotherProducer(t *testing.T) {
	self, prod, full := testPeer(t), testPeer(t), testPeer(t)
	cs := node.ConsensusStatus{Producers: []node.GenesisProducer{{PeerID: self.String()}, {PeerID: prod.String()}}}
	ctx := context.Background()

	ok, _ := reachesProducer(ctx, fakeAdmin(t, node.Status{PeerID: self, Producing: true}, cs, nil))
	require.True(t, ok, "a producing node takes submits itself")

	ok, _ = reachesProducer(ctx, fakeAdmin(t, node.Status{PeerID: self}, cs, []transport.RouteInfo{{Dest: prod, Reachable: true}}))
	require.True(t, ok)

	for name, rs := range map[string][]transport.RouteInfo{
		"no routes":         nil,
		"unreachable":       {{Dest: prod, Reachable: false}},
		"only a full node":  {{Dest: full, Reachable: true}},
		"only to itself":    {{Dest: self, Reachable: true}},
		"full + unroutable": {{Dest: full, Reachable: true}, {Dest: prod}},
	} {
		ok, seen := reachesProducer(ctx, fakeAdmin(t, node.Status{PeerID: self}, cs, rs))
		require.False(t, ok, name)
		require.Contains(t, seen, "no reachable route", name)
	}

	down := newAdminClient("127.0.0.1:1", time.Second)
	ok, seen := reachesProducer(ctx, down)
	require.False(t, ok)
	require.Contains(t, seen, "cannot reach")
}

func testPeer(t *testing.T) link.PeerID {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	return id
}
