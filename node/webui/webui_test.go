package webui

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/internal/netview"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/transport"
)

var (
	selfID  = mustPeer("12D3KooWPjceQrSwdWXPyLLeABRXmuqt69Rg3sBYbU1Nft9HyQ6X")
	otherID = mustPeer("12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE")
)

func mustPeer(s string) peer.ID {
	id, err := peer.Decode(s)
	if err != nil {
		panic(err)
	}
	return id
}

// fakeNode stands in for *node.Node: a producer whose head advances by one
// per Status call.
type fakeNode struct {
	mu   sync.Mutex
	head uint64
}

var prodKey = block.PublicKey{1, 2, 3}

func (f *fakeNode) Status() node.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.head++
	return node.Status{Name: "n0", PeerID: selfID, Role: node.RoleProducer, Running: true, Term: 3, Leader: selfID,
		Head: node.BlockRef{Height: f.head}, Irreversible: node.BlockRef{Height: f.head - 1}, Sync: "synced", Peers: 1}
}

func (f *fakeNode) Peers() []node.PeerStatus {
	var lanes [link.NumLanes]link.LaneStats
	lanes[link.LaneBlocks] = link.LaneStats{QueuedBytes: 300, BytesIn: 1000, BytesOut: 5000}
	return []node.PeerStatus{{
		PeerInfo: link.PeerInfo{Peer: otherID, Connected: true, Stats: &link.Stats{RTT: 1500 * time.Microsecond, Lanes: lanes}},
		Mode:     "active", Direction: "outbound", Tree: map[string]string{selfID.String(): "backup"},
	}}
}

func (f *fakeNode) Consensus() node.ConsensusStatus {
	return node.ConsensusStatus{Producers: []node.GenesisProducer{{PeerID: selfID.String(), PublicKey: hex.EncodeToString(prodKey[:])}}}
}

func (f *fakeNode) Routes() []transport.RouteInfo {
	return []transport.RouteInfo{{Dest: otherID, NextHop: otherID, Reachable: true, Metric: 7, RTT: 2 * time.Millisecond}}
}

func (f *fakeNode) Propagation(uint64) []node.BlockArrival {
	t := time.Unix(100, 0)
	return []node.BlockArrival{
		{Height: 4, Producer: prodKey, First: t, Produced: true, Sent: t.Add(time.Millisecond)},
		{Height: 5, Producer: prodKey, First: t.Add(time.Second), Copies: 2},
		{Height: 6, Producer: prodKey, First: t.Add(2 * time.Second), CatchingUp: true},
	}
}

func TestReportCarriesTreesLanesRoutesAndArrivals(t *testing.T) {
	r := Report(&fakeNode{})
	require.Equal(t, selfID.String(), r.Node.ID)
	require.Equal(t, "producer", r.Node.Role)
	require.Equal(t, selfID.String(), r.Node.Leader)
	require.Len(t, r.Peers, 1)
	p := r.Peers[0]
	require.Equal(t, map[string]string{selfID.String(): "backup"}, p.Tree)
	require.InDelta(t, 1.5, p.RTTMs, 1e-9)
	require.Equal(t, "blocks", p.Lanes[link.LaneBlocks].Name)
	require.Equal(t, int64(300), p.Lanes[link.LaneBlocks].Queued)
	require.Equal(t, []netview.Route{{Dest: otherID.String(), NextHop: otherID.String(), Reachable: true, Metric: 7, RTTMs: 2}}, r.Routes)
	require.Len(t, r.Arrivals, 2, "history synced from far ahead is no propagation")
	require.Equal(t, selfID.String(), r.Arrivals[0].Producer, "producers are named by peer id")
	require.Equal(t, time.Unix(100, 0).Add(time.Millisecond).UnixMicro(), r.Arrivals[0].AtUs, "a producer's wave starts when the block left")
}

func newTestHub(t *testing.T, cfg Config) (*Hub, *httptest.Server) {
	t.Helper()
	f := &fakeNode{}
	h, err := NewHub(Local{B: f}, cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Register(mux, func() netview.Report { return Report(f) })
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, srv
}

// readEvents reads SSE events from body until n were read.
func readEvents(t *testing.T, body io.Reader, n int) []netview.Frame {
	t.Helper()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []netview.Frame
	event := ""
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var f netview.Frame
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &f))
			require.Equal(t, event, f.Kind, "the SSE event names the frame's kind")
			out = append(out, f)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func TestEventsStreamASnapshotThenDeltasThatRebuildThePicture(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Interval = 20 * time.Millisecond
	h, srv := newTestHub(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	frames := readEvents(t, resp.Body, 6)
	require.Equal(t, "snapshot", frames[0].Kind)
	var m netview.Model
	for _, f := range frames {
		require.NoError(t, m.Apply(f))
	}
	require.Contains(t, m.Nodes, selfID.String())
	require.Contains(t, m.Nodes, otherID.String(), "the peer is drawn, seen from this node")
	require.Contains(t, m.Links, selfID.String()+">"+otherID.String())
	require.Greater(t, m.Nodes[selfID.String()].Head, uint64(3), "heads move from frame to frame")
	st := h.Stats()
	require.Equal(t, 1, st.Clients)
	require.NotZero(t, st.FrameBytes)
}

func TestASlowClientLosesFramesThenGetsASnapshot(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Interval, cfg.ClientQueue = time.Hour, 2
	h, err := NewHub(Local{B: &fakeNode{}}, cfg)
	require.NoError(t, err)
	defer h.Close()
	c, _, err := h.Subscribe()
	require.NoError(t, err)
	for range 5 {
		h.round(context.Background())
	}
	require.True(t, c.resync.Load(), "the client must start again from a snapshot")
	require.NotZero(t, c.dropped.Load())
	require.Equal(t, c.dropped.Load(), h.Stats().Dropped)
	m, err := h.snapshot(c)
	require.NoError(t, err)
	var f netview.Frame
	require.NoError(t, json.Unmarshal(m.data, &f))
	require.Equal(t, c.dropped.Load(), f.Dropped, "the snapshot tells the client what it lost")
}

func TestStreamsAreBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClients = 1
	h, srv := newTestHub(t, cfg)
	c, _, err := h.Subscribe()
	require.NoError(t, err)
	defer h.Unsubscribe(c)
	resp, err := srv.Client().Get(srv.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(body), "too-many-streams")
}

func TestThePageAndItsAPIAreServed(t *testing.T) {
	_, srv := newTestHub(t, DefaultConfig())
	for path, want := range map[string]string{
		"/ui/":             "<title>blockwire",
		"/ui/app.js":       "EventSource",
		"/ui/style.css":    ".edge.active",
		"/ui/api/report":   `"node":{"id":"` + selfID.String(),
		"/ui/api/snapshot": `"kind":"snapshot"`,
		"/ui/api/stats":    `"frames"`,
		"/ui":              "<title>blockwire", // redirected
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, string(body), want, path)
	}
}

func TestRemoteGathersEveryNodeAndMarksTheSilentDown(t *testing.T) {
	_, srv := newTestHub(t, DefaultConfig())
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer dead.Close()
	r := &Remote{Targets: []Target{
		{Name: "node0", Admin: strings.TrimPrefix(srv.URL, "http://")},
		{Name: "node1", Admin: strings.TrimPrefix(dead.URL, "http://")},
	}}
	reps := r.Reports(context.Background())
	require.Len(t, reps, 2)
	require.Equal(t, selfID.String(), reps[0].Node.ID)
	require.False(t, reps[0].Node.Down)
	require.True(t, reps[1].Node.Down)
	require.Equal(t, "node1", reps[1].Node.ID)
	require.Contains(t, reps[1].Node.Error, "502")
}

func TestConfigValidateNamesTheField(t *testing.T) {
	c := DefaultConfig()
	c.ClientQueue = 0
	require.ErrorContains(t, c.Validate(), "ClientQueue 0")
}
