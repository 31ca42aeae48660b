package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
)

// fakeBackend stands in for a node: the handlers' job is mapping requests
// and errors, which a fake can drive through every branch.
type fakeBackend struct {
	blocks    map[uint64]*block.Block
	submitted [][]byte
	submitErr error
	waited    node.TxState
	net       *fakeNetwork
}

func (f *fakeBackend) Status() node.Status {
	return node.Status{Name: "n0", Running: true, Head: node.BlockRef{Height: 7}, Sync: "synced"}
}
func (f *fakeBackend) Peers() []node.PeerStatus {
	return []node.PeerStatus{{PeerInfo: link.PeerInfo{Peer: testPeer, Connected: true, Stats: &link.Stats{
		Mode: link.ModeActive, Established: time.Unix(1, 0),
		Lanes: [link.NumLanes]link.LaneStats{{BytesIn: 10, BytesOut: 20, Drops: map[link.DropReason]uint64{link.DropQueueFull: 2}}},
	}}}}
}
func (f *fakeBackend) Consensus() node.ConsensusStatus {
	return node.ConsensusStatus{Engine: node.EngineSolo}
}
func (f *fakeBackend) Counters() node.Counters {
	return node.Counters{BlocksReceived: 5, Rejected: map[string]uint64{"bad-signature": 1}}
}
func (f *fakeBackend) Block(id block.ID) (*block.Block, error) {
	if b, ok := f.blocks[id.Height()]; ok && b.ID() == id {
		return b, nil
	}
	return nil, node.ErrNotFound
}
func (f *fakeBackend) BlockAt(_ context.Context, h uint64) (*block.Block, error) {
	if b, ok := f.blocks[h]; ok {
		return b, nil
	}
	return nil, node.ErrNotFound
}
func (f *fakeBackend) Submit(_ context.Context, tx []byte) (node.TxReceipt, error) {
	f.submitted = append(f.submitted, tx)
	if f.submitErr != nil {
		return node.TxReceipt{}, f.submitErr
	}
	return node.TxReceipt{Hash: node.TxHash(tx), State: node.TxIncluded, Height: 3}, nil
}
func (f *fakeBackend) WaitTx(_ context.Context, h block.Hash, s node.TxState) (node.TxReceipt, error) {
	f.waited = s
	return node.TxReceipt{Hash: h, State: s}, nil
}
func (f *fakeBackend) TxStatus(_ context.Context, h block.Hash) (node.TxReceipt, error) {
	return node.TxReceipt{}, node.ErrNotFound
}
func (f *fakeBackend) Network() link.Network { return f.net }

type fakeNetwork struct {
	link.Network
	banned   map[peer.ID]string
	unbanned []peer.ID
}

func (n *fakeNetwork) Ban(p peer.ID, _ time.Duration, reason string) { n.banned[p] = reason }
func (n *fakeNetwork) Unban(p peer.ID)                               { n.unbanned = append(n.unbanned, p) }

func newTestServer(t *testing.T) (*httptest.Server, *fakeBackend) {
	t.Helper()
	g, err := block.Seal(block.Header{Height: 1}, [][]byte{[]byte("hello")}, nil, testKey())
	require.NoError(t, err)
	fb := &fakeBackend{blocks: map[uint64]*block.Block{1: g}, net: &fakeNetwork{banned: map[peer.ID]string{}}}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Attach(fb)
	srv := httptest.NewServer(Handler(fb, Config{Registry: reg, WaitTimeout: time.Second}))
	t.Cleanup(srv.Close)
	return srv, fb
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	return resp.StatusCode, obj, string(raw)
}

func TestStatusPeersAndConsensusAreJSON(t *testing.T) {
	srv, _ := newTestServer(t)
	code, st, _ := call(t, srv, "GET", "/status", "")
	require.Equal(t, 200, code)
	require.Equal(t, "n0", st["name"])
	code, _, raw := call(t, srv, "GET", "/peers", "")
	require.Equal(t, 200, code)
	require.Contains(t, raw, `"peer": "`+testPeer.String()+`"`)
	code, cs, _ := call(t, srv, "GET", "/consensus", "")
	require.Equal(t, 200, code)
	require.Equal(t, "solo", cs["engine"])
}

func TestBlocksByHeightAndByID(t *testing.T) {
	srv, fb := newTestServer(t)
	g := fb.blocks[1]
	code, b, _ := call(t, srv, "GET", "/blocks/1?txs=1", "")
	require.Equal(t, 200, code)
	require.Equal(t, g.ID().Hex(), b["id"])
	require.Equal(t, []any{"68656c6c6f"}, b["txs"])
	code, b, _ = call(t, srv, "GET", "/blocks/"+g.ID().Hex(), "")
	require.Equal(t, 200, code)
	require.EqualValues(t, 1, b["height"])
	require.Nil(t, b["txs"], "transactions only on request")

	code, e, _ := call(t, srv, "GET", "/blocks/99", "")
	require.Equal(t, 404, code)
	require.Equal(t, "not-found", e["reason"])
	code, e, _ = call(t, srv, "GET", "/blocks/xyz", "")
	require.Equal(t, 400, code)
	require.Equal(t, "bad-block-ref", e["reason"])

	code, _, raw := call(t, srv, "GET", "/blocks?from=1&limit=5", "")
	require.Equal(t, 200, code)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &list))
	require.Len(t, list, 1, "the range stops at the first missing height")
}

func TestSubmitBuildsKeyValueTransactionsDeterministically(t *testing.T) {
	srv, fb := newTestServer(t)
	code, rec, _ := call(t, srv, "POST", "/tx", `{"set":{"b":"2","a":"1"},"delete":["c"]}`)
	require.Equal(t, 200, code)
	require.Equal(t, "included", rec["state"])
	want := chain.AppendKVTx(nil,
		chain.KVOp{Kind: chain.KVSet, Key: []byte("a"), Value: []byte("1")},
		chain.KVOp{Kind: chain.KVSet, Key: []byte("b"), Value: []byte("2")},
		chain.KVOp{Kind: chain.KVDelete, Key: []byte("c")})
	require.Equal(t, [][]byte{want}, fb.submitted, "keys are sorted: one request, one transaction")

	code, rec, _ = call(t, srv, "POST", "/tx", `{"tx":"0102","wait":"irreversible"}`)
	require.Equal(t, 200, code)
	require.Equal(t, node.TxIrreversible, fb.waited)
	require.Equal(t, "irreversible", rec["state"])
}

func TestBadRequestsGetA400WithAReason(t *testing.T) {
	srv, fb := newTestServer(t)
	cases := map[string]string{
		`{"tx":`:                       "bad-json",
		`{"tx":"01","colour":"blue"}`:  "bad-json",
		`{"tx":"01"} {"tx":"02"}`:      "bad-json",
		`{"tx":"zz"}`:                  "bad-tx",
		`{}`:                           "bad-tx",
		`{"tx":"01","set":{"a":"b"}}`:  "bad-tx",
		`{"tx":"01","wait":"forever"}`: "bad-wait",
	}
	for body, reason := range cases {
		code, e, _ := call(t, srv, "POST", "/tx", body)
		require.Equal(t, 400, code, body)
		require.Equal(t, reason, e["reason"], body)
	}
	require.Empty(t, fb.submitted, "nothing reaches the node")
}

func TestNodeErrorsMapToStatuses(t *testing.T) {
	srv, fb := newTestServer(t)
	cases := []struct {
		err    error
		code   int
		reason string
	}{
		{&node.TxRejectedError{Reason: "mempool-full"}, 422, "mempool-full"},
		{node.ErrNoProducer, 503, "no-producer"},
		{node.ErrProducerTimeout, 504, "producer-timeout"},
		{node.ErrTxTimeout, 504, "timeout"},
		{node.ErrStopped, 503, "stopped"},
	}
	for _, c := range cases {
		fb.submitErr = c.err
		code, e, _ := call(t, srv, "POST", "/tx", `{"tx":"01"}`)
		require.Equal(t, c.code, code, c.err.Error())
		require.Equal(t, c.reason, e["reason"])
	}
}

func TestOperatorBansAndUnbansAPeer(t *testing.T) {
	srv, fb := newTestServer(t)
	id := testPeer.String()
	code, _, _ := call(t, srv, "POST", "/peers/"+id+"/ban", `{"duration":"10m","reason":"spamming"}`)
	require.Equal(t, 200, code)
	p, _ := peer.Decode(id)
	require.Equal(t, "spamming", fb.net.banned[p])
	code, _, _ = call(t, srv, "DELETE", "/peers/"+id+"/ban", "")
	require.Equal(t, 200, code)
	require.Equal(t, []peer.ID{p}, fb.net.unbanned)

	code, e, _ := call(t, srv, "POST", "/peers/notapeer/ban", `{"duration":"1m"}`)
	require.Equal(t, 400, code)
	require.Equal(t, "bad-peer-id", e["reason"])
	code, e, _ = call(t, srv, "POST", "/peers/"+id+"/ban", `{"duration":"-1m"}`)
	require.Equal(t, 400, code)
	require.Equal(t, "bad-duration", e["reason"])
}

func TestMetricsExposeTheNodeState(t *testing.T) {
	srv, _ := newTestServer(t)
	code, _, raw := call(t, srv, "GET", "/metrics", "")
	require.Equal(t, 200, code)
	for _, want := range []string{
		"blockwire_head_height 7",
		`blockwire_peers{state="connected"} 1`,
		`blockwire_lane_bytes_total{direction="in",lane="consensus"} 10`,
		`blockwire_lane_drops_total{lane="consensus",reason="queue_full"} 2`,
		`blockwire_blocks_total{outcome="received"} 5`,
		`blockwire_rejected_total{reason="bad-signature"} 1`,
		"blockwire_block_propagation_seconds_bucket",
		"go_goroutines",
	} {
		require.Contains(t, raw, want)
	}
}

func TestUnknownEndpointsAre404JSON(t *testing.T) {
	srv, _ := newTestServer(t)
	code, e, _ := call(t, srv, "GET", "/nope", "")
	require.Equal(t, 404, code)
	require.Equal(t, "not-found", e["reason"])
}
