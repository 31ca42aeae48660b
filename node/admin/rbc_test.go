package admin

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/transport/rbcrun"
)

// rbcBackend is a fakeBackend that runs reliable broadcast.
type rbcBackend struct {
	fakeBackend
	st rbcrun.Status
}

func (b *rbcBackend) ReliableStatus(context.Context) rbcrun.Status { return b.st }

func TestRBCStatusAndMetrics(t *testing.T) {
	origin := seededPeer(t, 3)
	b := &rbcBackend{
		fakeBackend: fakeBackend{blocks: map[uint64]*block.Block{}, net: &fakeNetwork{banned: map[peer.ID]string{}}},
		st: rbcrun.Status{Member: true, Set: "0102030405060708", N: 4, F: 1, Self: 2, Pending: 1,
			Instances: []rbcrun.InstanceStatus{
				{Instance: "0/1", Origin: origin, Phase: "delivered", Echoes: 4, Readies: 3, Digests: 1, Digest: "ab", Signers: []int{0, 1, 2}},
				{Instance: "0/2", Origin: origin, Phase: "echoed", Echoes: 2, Digests: 1},
			},
			Counters: rbcrun.Counters{Received: 10, Sent: 4, SentCopies: 12, Records: 5, Delivered: 1,
				Refused: map[string]uint64{"bad-signature": 2}}},
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Attach(b)
	srv := httptest.NewServer(Handler(b, Config{Registry: reg, WaitTimeout: time.Second}))
	t.Cleanup(srv.Close)

	code, body, _ := call(t, srv, "GET", "/rbc", "")
	require.Equal(t, 200, code)
	require.Equal(t, true, body["member"])
	require.Len(t, body["instances"], 2)
	require.Equal(t, "delivered", body["instances"].([]any)[0].(map[string]any)["phase"])

	_, _, raw := call(t, srv, "GET", "/metrics", "")
	for _, want := range []string{
		"blockwire_rbc_member 1",
		"blockwire_rbc_pending 1",
		`blockwire_rbc_instances{phase="delivered"} 1`,
		`blockwire_rbc_instances{phase="echoed"} 1`,
		`blockwire_rbc_instances{phase="ready"} 0`,
		`blockwire_rbc_delivered_total{kind="new"} 1`,
		`blockwire_rbc_messages_total{kind="sent_copies"} 12`,
		"blockwire_rbc_records_total 5",
		`blockwire_rbc_refused_total{reason="bad-signature"} 2`,
	} {
		require.Contains(t, raw, want)
	}
}

func TestRBCWithoutASourceIs404(t *testing.T) {
	srv, _ := newTestServer(t)
	code, body, _ := call(t, srv, "GET", "/rbc", "")
	require.Equal(t, 404, code)
	require.Equal(t, "not-supported", body["reason"])
}
