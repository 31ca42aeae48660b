package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/transport/route"
	"github.com/blockwire/blockwire/transport/submit"
)

// payload_errors names the route-limit refusal apart from other
// no-producer answers, so a run shows whether issue 19's failure is back.
func TestPayloadFailReason(t *testing.T) {
	limit := &apiError{Status: 503, Reason: "no-producer", Msg: "node: no producer reachable: sending to x: route: payload above Limits.MaxPayload"}
	require.Equal(t, "route-payload-limit", failReason(limit))
	require.Equal(t, "producer-timeout", failReason(&apiError{Status: 504, Reason: "producer-timeout", Msg: "no answer"}))
	require.Equal(t, "no-answer", failReason(fmt.Errorf("post: %w", context.DeadlineExceeded)))
	require.Equal(t, "unreachable", failReason(errors.New("connection refused")))
}

// A block's payload goes out as several transactions, each well within
// what a node forwards to the leader, so none fails when it lands on a
// node that has just lost the lead; together they carry the whole payload,
// and no two are the same transaction or write the same key.
func TestPayloadSplitsIntoForwardableTransactions(t *testing.T) {
	body := strings.Repeat("x", 1<<20)
	limit := submit.MaxTx(route.DefaultLimits().MaxPayload)
	seen := map[string]bool{}
	for i := range 2 {
		txs := payloadTxs(body, i)
		require.Len(t, txs, 5, "1 MiB in transactions of %d value bytes", payloadTxBytes)
		values, keys := 0, map[string]bool{}
		for _, set := range txs {
			var ops []chain.KVOp
			for _, k := range slices.Sorted(maps.Keys(set)) {
				v := set[k]
				require.False(t, keys[k], "key %s written twice in one interval", k)
				keys[k] = true
				values += len(v)
				ops = append(ops, chain.KVOp{Kind: chain.KVSet, Key: []byte(k), Value: []byte(v)})
			}
			tx := chain.AppendKVTx(nil, ops...)
			require.LessOrEqual(t, len(tx), limit/4+1024)
			id := string(tx)
			require.False(t, seen[id], "the same transaction twice")
			seen[id] = true
		}
		require.Equal(t, len(body), values)
	}
}

// fakeProducer answers /status as leading or not, and /tx with 200, or
// with 503 no-producer while it does not lead (an election, a lost lead).
type fakeProducer struct {
	leads atomic.Bool
	posts atomic.Int64
}

func (f *fakeProducer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/status":
		_ = json.NewEncoder(w).Encode(map[string]bool{"producing": f.leads.Load()})
	case r.URL.Path == "/tx" && f.leads.Load():
		f.posts.Add(1)
		_, _ = io.WriteString(w, "{}")
	default:
		f.posts.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"reason":"no-producer","error":"no leader"}`)
	}
}

// A payload transaction that meets a node which has just lost the lead is
// posted again, the same bytes, to whoever leads half an interval later:
// it is counted as resent, not failed, and its first refusal is in
// payload_errors.
func TestPayloadIsResentToTheNewLeader(t *testing.T) {
	old, next := &fakeProducer{}, &fakeProducer{}
	old.leads.Store(true)
	clients := []*adminClient{}
	for _, f := range []*fakeProducer{old, next} {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		clients = append(clients, newAdminClient(srv.URL, 5*time.Second))
	}
	l := newPayloadLoad(1000, 100*time.Millisecond, clients, []int{0, 1})
	old.leads.Store(false) // the load still believes node 0 leads
	next.leads.Store(true)
	l.submit(context.Background(), map[string]string{"k": "v"})
	require.EqualValues(t, 1, l.submitted.Load())
	require.Zero(t, l.failed.Load(), "%v %v", l.errorCounts(), l.lastErr.Load())
	require.EqualValues(t, 1, l.resent.Load())
	require.Equal(t, map[string]uint64{"no-producer": 1}, l.errorCounts())
	require.EqualValues(t, 1, next.posts.Load())
}

// A payload transaction is counted failed only when every attempt failed.
func TestPayloadFailsAfterEveryAttempt(t *testing.T) {
	f := &fakeProducer{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	l := newPayloadLoad(1000, 10*time.Millisecond, []*adminClient{newAdminClient(srv.URL, 5*time.Second)}, []int{0})
	l.submit(context.Background(), map[string]string{"k": "v"})
	require.EqualValues(t, 1, l.failed.Load())
	require.EqualValues(t, payloadAttempts-1, l.resent.Load())
	require.EqualValues(t, payloadAttempts, f.posts.Load())
}

// A resend waits half an interval, or a raft heartbeat timeout when that
// is longer, so three posts span an election (followers notice a silent
// leader after 1–2 heartbeat timeouts).
func TestPayloadRetrySpansAnElection(t *testing.T) {
	ms := time.Millisecond
	require.Equal(t, 250*ms, payloadRetry(500*ms, 100*ms), "LAN timers: half an interval")
	require.Equal(t, 800*ms, payloadRetry(500*ms, 800*ms), "shaped testnet: the heartbeat timeout")
	require.GreaterOrEqual(t, (payloadAttempts-1)*payloadRetry(500*ms, 800*ms), 2*800*ms, "the posts span two heartbeat timeouts")
}
