package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/webui"
)

// TestMeasureLivePage measures the live page on a large testnet (issue 20:
// "the page stays responsive with a 50-node testnet"): the event stream's
// bytes per second and frame sizes as the server counts them, and the
// page's animation-frame gaps and render times from the browser's
// performance clock. It only runs when asked, and asserts nothing about
// time; the figures go to docs/benchmarks.md:
//
//	BLOCKWIRE_UI_MEASURE=50 go test -run TestMeasureLivePage -v -timeout 30m ./cmd/blockwire
//
// BLOCKWIRE_UI_SOURCE=synthetic feeds the same hub, stream and page from
// a synthetic network in process (synthNet) instead of node processes, so
// that the page's own cost is measured apart from the nodes' CPU use.
func TestMeasureLivePage(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BLOCKWIRE_UI_MEASURE"))
	if n == 0 {
		t.Skip("set BLOCKWIRE_UI_MEASURE=<nodes> to measure the live page")
	}
	window := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("BLOCKWIRE_UI_WINDOW")); err == nil {
		window = d
	}
	ctx := browser(t)
	var url string
	if os.Getenv("BLOCKWIRE_UI_SOURCE") == "synthetic" {
		src, err := newSynthNet(n)
		require.NoError(t, err)
		hub, err := webui.NewHub(src, webui.DefaultConfig())
		require.NoError(t, err)
		mux := http.NewServeMux()
		hub.Register(mux, nil)
		srv := httptest.NewServer(mux)
		t.Cleanup(func() { hub.Close(); srv.Close() })
		url = srv.URL + "/ui/"
	} else {
		url = startTestnetCmd(t, buildBinary(t), node.NetworkSpec{Nodes: n, Producers: 3,
			Topology: node.TopologyRandom, Degree: 4, Seed: 1}, "--block-interval", "100ms")
	}
	tctx, cancel := context.WithTimeout(ctx, window+3*time.Minute)
	defer cancel()
	// The baseline, in the same browser and the same minute's load: the
	// animation-frame gaps of an empty page.
	require.NoError(t, chromedp.Do(tctx, chromedp.Navigate("about:blank")))
	idle, err := chromedp.Run(tctx, chromedp.Evaluate[map[string]float64](rafProbe, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	t.Logf("baseline (empty page, 10 s): rAF gap p50 %.1f ms p95 %.1f ms max %.1f ms", idle["p50"], idle["p95"], idle["max"])
	require.NoError(t, chromedp.Do(tctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#graph g.node`))))
	// Let every node report, then measure over a clean window.
	require.NoError(t, chromedp.Do(tctx, chromedp.Sleep(15*time.Second)))
	before := hubStats(t, url)
	_, err = chromedp.Run(tctx, chromedp.Evaluate[any](`(() => { window.bwui.state.bytes = 0; window.bwui.state.frames = 0;
		window.bwui.state.started = performance.now(); return 0; })()`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(tctx, chromedp.Sleep(window)))
	after := hubStats(t, url)
	perf, err := chromedp.Run(tctx, chromedp.Evaluate[map[string]float64](`window.bwui.frameStats()`))
	require.NoError(t, err)
	stream, err := chromedp.Run(tctx, chromedp.Evaluate[map[string]float64](`window.bwui.streamStats()`))
	require.NoError(t, err)
	st, err := chromedp.Run(tctx, chromedp.Evaluate[pageState](readPage))
	require.NoError(t, err)
	frames := after.Frames - before.Frames
	t.Logf("%d nodes, window %v: page shows %d nodes, %d edges, %d waves; %s", n, window, st.Nodes, st.Edges, st.Waves, st.Summary)
	t.Logf("server: %d frames, %.0f B/frame mean, %d B max frame, %.0f B/s of JSON, %.0f B/s on the wire (gzip), gather %.0f ms (last), dropped %d",
		frames, float64(after.FrameBytes-before.FrameBytes)/float64(max(frames, 1)), after.MaxFrameBytes,
		float64(after.FrameBytes-before.FrameBytes)/window.Seconds(), float64(after.WireBytes-before.WireBytes)/window.Seconds(),
		after.GatherMs, after.Dropped)
	t.Logf("browser: stream %.0f B/s over %.0f frames; rAF gap p50 %.1f ms p95 %.1f ms max %.1f ms; render p50 %.1f ms p95 %.1f ms max %.1f ms (%v renders)",
		stream["bytes"]/stream["seconds"], stream["frames"], perf["p50"], perf["p95"], perf["max"],
		perf["renderP50"], perf["renderP95"], perf["renderMax"], perf["renders"])
	shot, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(artifactDir(t)+"/ui-testnet-"+strconv.Itoa(n)+".png", shot, 0o644))
}

// rafProbe measures animation-frame gaps for 10 s.
const rafProbe = `new Promise((done) => {
  const gaps = []; let last = 0; const end = performance.now() + 10000;
  const f = (t) => {
    if (last) gaps.push(t - last);
    last = t;
    if (t < end) { requestAnimationFrame(f); return; }
    gaps.sort((a, b) => a - b);
    done({ p50: gaps[Math.floor(gaps.length / 2)], p95: gaps[Math.floor(gaps.length * 0.95)], max: gaps[gaps.length - 1] });
  };
  requestAnimationFrame(f);
})`

func hubStats(t *testing.T, pageURL string) webui.Stats {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(pageURL, "/ui/") + "/ui/api/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var s webui.Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}
