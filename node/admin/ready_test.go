package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/node"
)

// stateBackend is a fakeBackend whose status and consensus a test sets.
type stateBackend struct {
	fakeBackend
	st node.Status
	cs node.ConsensusStatus
}

func (b *stateBackend) Status() node.Status             { return b.st }
func (b *stateBackend) Consensus() node.ConsensusStatus { return b.cs }

var readyNow = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func newReadyServer(t *testing.T, b *stateBackend) *httptest.Server {
	t.Helper()
	b.net = &fakeNetwork{banned: map[peer.ID]string{}}
	srv := httptest.NewServer(Handler(b, Config{WaitTimeout: time.Second, ReadyMaxHeadAge: 10 * time.Second,
		Version: "v1.2.3", Now: func() time.Time { return readyNow }}))
	t.Cleanup(srv.Close)
	return srv
}

func healthyStatus() node.Status {
	return node.Status{Name: "n", PeerID: testPeer, Running: true, Peers: 3, Engine: node.EngineCFT,
		Head: node.BlockRef{Height: 9, Timestamp: readyNow.Add(-time.Second)}}
}

// Issue 12 item 5: /readyz fails with a reason when the node is isolated,
// when a producer has no raft leader, and when the head is stale; /healthz
// stays 200 (liveness). The old code had no /readyz (404).
func TestReadyzFailsWithAReason(t *testing.T) {
	producer := node.ConsensusStatus{Engine: node.EngineCFT, Member: true, Raft: &cft.Status{Term: 4, Leader: raft.ServerID("12D3KooWleader")}}
	leaderless := producer
	leaderless.Raft = &cft.Status{Term: 5}
	isolated := healthyStatus()
	isolated.Peers = 0
	stale := healthyStatus()
	stale.Head.Timestamp = readyNow.Add(-time.Minute)
	onlyProducer := producer
	onlyProducer.Producers = []node.GenesisProducer{{Name: "p0"}}
	soloAlone := healthyStatus()
	soloAlone.Peers, soloAlone.Engine, soloAlone.Producing = 0, node.EngineSolo, true
	cftAlone := soloAlone
	cftAlone.Engine = node.EngineCFT
	for _, c := range []struct {
		name   string
		st     node.Status
		cs     node.ConsensusStatus
		reason string
		detail string
	}{
		{"ready producer", healthyStatus(), producer, "", ""},
		{"ready full node", healthyStatus(), node.ConsensusStatus{Engine: node.EngineCFT}, "", ""},
		{"solo producer alone", soloAlone, node.ConsensusStatus{Engine: node.EngineSolo, Member: true}, "", ""},
		{"one-producer cft chain", cftAlone, onlyProducer, "", ""},
		{"a full node of a one-producer chain", isolated, node.ConsensusStatus{Engine: node.EngineCFT, Producers: onlyProducer.Producers}, "isolated", "no connected peers"},
		{"isolated", isolated, producer, "isolated", "no connected peers"},
		{"no leader", healthyStatus(), leaderless, "no-leader", "sees no raft leader in term 5"},
		{"stale head", stale, producer, "stale-head", "head 9 is 1m0s old, more than admin.ready_max_head_age 10s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newReadyServer(t, &stateBackend{st: c.st, cs: c.cs})
			code, body, raw := call(t, srv, "GET", "/readyz", "")
			if c.reason == "" {
				require.Equal(t, http.StatusOK, code, raw)
				require.Equal(t, true, body["ready"])
				return
			}
			require.Equal(t, http.StatusServiceUnavailable, code, raw)
			require.Equal(t, c.reason, body["reason"])
			require.Contains(t, body["error"], c.detail)
			code, _, _ = call(t, srv, "GET", "/healthz", "")
			require.Equal(t, http.StatusOK, code, "healthz is liveness only")
		})
	}
}

func TestStatusShowsHeadAgeAndVersion(t *testing.T) {
	srv := newReadyServer(t, &stateBackend{st: healthyStatus()})
	code, _, raw := call(t, srv, "GET", "/status", "")
	require.Equal(t, http.StatusOK, code)
	var v StatusView
	require.NoError(t, json.Unmarshal([]byte(raw), &v))
	require.Equal(t, "1s", v.HeadAge)
	require.InDelta(t, 1.0, v.HeadAgeSeconds, 1e-9)
	require.Equal(t, "v1.2.3", v.Version)
	require.Equal(t, uint64(9), v.Head.Height, "node.Status fields stay at the top level")
}

// Issue 12 item 4: a failed submit always carries the transaction's hash
// and names its outcome (the old 504 body had neither).
func TestSubmitErrorsCarryTheHashAndTheOutcome(t *testing.T) {
	srv, fb := newTestServer(t)
	body := `{"set":{"k":"v"}}`
	for _, c := range []struct {
		err     error
		status  int
		outcome node.Outcome
	}{
		{fmt.Errorf("%w: no answer from p within 5s", node.ErrProducerTimeout), http.StatusGatewayTimeout, node.OutcomeUnknown},
		{fmt.Errorf("%w: no leader", node.ErrNoProducer), http.StatusServiceUnavailable, node.OutcomeNotAccepted},
		{&node.TxRejectedError{Reason: "malformed", Detail: "x"}, http.StatusUnprocessableEntity, node.OutcomeRejected},
		{fmt.Errorf("%w: deadline", node.ErrTxTimeout), http.StatusGatewayTimeout, node.OutcomeUnknown},
	} {
		fb.submitErr = c.err
		code, got, raw := call(t, srv, "POST", "/tx", body)
		require.Equal(t, c.status, code, raw)
		require.Len(t, got["hash"], 64, raw)
		require.Equal(t, string(c.outcome), got["outcome"], raw)
		require.NotEmpty(t, got["advice"])
		if c.outcome == node.OutcomeUnknown {
			require.Contains(t, got["error"], "outcome unknown: ")
			require.Contains(t, got["advice"], "same bytes again")
		}
		require.Equal(t, node.TxHash(fb.submitted[len(fb.submitted)-1]).String(), got["hash"])
	}
}

// Documented metrics exist on a quiet node: drops and refusals at 0 before
// the first one, head age and build info always (the old code exported
// neither drops nor refusals until one happened).
func TestMetricsExistBeforeTheFirstEvent(t *testing.T) {
	fb := &stateBackend{st: healthyStatus()}
	fb.net = &fakeNetwork{banned: map[peer.ID]string{}}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.RegisterBuildInfo("v9", "go1.x")
	m.Attach(fb)
	srv := httptest.NewServer(Handler(fb, Config{Registry: reg}))
	t.Cleanup(srv.Close)
	_, _, raw := call(t, srv, "GET", "/metrics", "")
	for _, want := range []string{
		`blockwire_lane_drops_total{lane="blocks",reason="queue_full"} 0`,
		`blockwire_rejected_total{reason="invalid"} 0`,
		`blockwire_build_info{go_version="go1.x",version="v9"} 1`,
		"blockwire_head_age_seconds ",
	} {
		require.Contains(t, raw, want)
	}
}
