package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/node"
)

// chromium finds Debian's chromium (or another Chrome) on PATH;
// BLOCKWIRE_CHROMIUM names one explicitly.
func chromium() string {
	if p := os.Getenv("BLOCKWIRE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactDir is where browser tests leave their screenshots:
// $BLOCKWIRE_ARTIFACTS, else bin/artifacts at the repository root.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BLOCKWIRE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// startTestnetCmd runs `blockwire testnet` over a network written into a
// fresh directory on free ports, and returns the live page's URL once the
// command prints it. The command is interrupted (and stops its nodes) at
// cleanup.
func startTestnetCmd(t *testing.T, bin string, spec node.NetworkSpec, extra ...string) string {
	t.Helper()
	dir, nodes := t.TempDir(), spec.Nodes
	ports := freePorts(t, 2*nodes+1)
	base := node.DefaultConfig()
	base.Consensus.BlockInterval = node.Duration{Duration: 100 * time.Millisecond}
	base.Log.Format, base.Log.Level = "json", "warn"
	spec.Dir, spec.P2PPorts, spec.AdminPorts, spec.Base = dir, ports[:nodes], ports[nodes:2*nodes], &base
	_, _, err := node.InitNetwork(spec)
	require.NoError(t, err)
	args := append([]string{"testnet", "--dir", dir, "--duration", "10m", "--tx-rate", "20",
		"--ui-listen", fmt.Sprintf("127.0.0.1:%d", ports[2*nodes])}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "live network page: "); ok {
				urls <- u
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // testnet stops every node in order
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Error("blockwire testnet did not stop within 30 s of SIGINT; killed")
		}
	})
	select {
	case u := <-urls:
		return u
	case err := <-exited:
		t.Fatalf("blockwire testnet exited before printing its page: %v", err)
	case <-time.After(5 * time.Minute):
		t.Fatal("blockwire testnet printed no page URL within 5 minutes")
	}
	return ""
}

// browser starts headless Chromium for a test (skipping it when there is
// none) with no background networking.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium()
	if exe == "" {
		t.Skip("no Chromium on PATH (Debian: apt-get install -y chromium; .ci/run installs it); skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1500, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "starting %s", exe)
	return ctx
}

// pageState is what the test reads from the page.
type pageState struct {
	Nodes   int    `json:"nodes"`
	Leader  string `json:"leader"`
	Ringed  int    `json:"ringed"`
	Waves   int    `json:"waves"`
	Rows    int    `json:"rows"`
	Edges   int    `json:"edges"`
	Summary string `json:"summary"`
}

const readPage = `(() => ({
  nodes: document.querySelectorAll('#graph g.node').length,
  leader: (document.querySelector('#leader') || {dataset: {}}).dataset.leader || '',
  ringed: document.querySelectorAll('#graph g.node.leader').length,
  waves: window.bwui ? window.bwui.state.wavesSeen : 0,
  rows: document.querySelectorAll('#waveTable tr.arrival').length,
  edges: document.querySelectorAll('#edges line').length,
  summary: document.querySelector('#summary').textContent,
}))()`

// Issue 20: a real browser loads the testnet's live page, which draws the
// four nodes with their links, marks the leader and shows at least one
// block's propagation wave; the screenshot is left as an artifact.
func TestTheLivePageShowsTheTestnetInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a testnet and a browser")
	}
	ctx := browser(t)
	url := startTestnetCmd(t, buildBinary(t), node.NetworkSpec{Nodes: 4, Producers: 3})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#graph g.node`))))

	var st pageState
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		st, err = chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage))
		require.NoError(t, err)
		if st.Nodes == 4 && st.Leader != "" && st.Ringed == 1 && st.Waves >= 1 && st.Rows >= 2 && st.Edges >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not show 4 nodes, a leader and a wave within 60 s: %+v", st)
		}
		time.Sleep(250 * time.Millisecond) // polling a browser, not asserting on time
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(2*time.Second)))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	path := filepath.Join(artifactDir(t), "ui-testnet.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	perf, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`window.bwui.frameStats()`))
	require.NoError(t, err)
	t.Logf("page: %+v; frame stats (ms): %v; screenshot %s", st, perf, path)
}
