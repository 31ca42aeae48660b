package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/blockwire/blockwire/node/webui"
)

// testnetUI serves one live page for the whole testnet (issue 20): a hub
// whose source asks every node's GET /ui/api/report, so the page shows
// every node, every link and every block's wave.
type testnetUI struct {
	hub *webui.Hub
	srv *http.Server
	ln  net.Listener
	URL string
}

// uiListen is where the testnet's page listens: --ui-listen, by default
// loopback at base-port+2000.
func uiListen(flag string, basePort int) string {
	if flag != "" {
		return flag
	}
	return fmt.Sprintf("127.0.0.1:%d", basePort+2000)
}

// startTestnetUI serves the page for procs on listen ("off" serves none).
func startTestnetUI(listen string, procs []*proc) (*testnetUI, error) {
	if listen == "off" {
		return nil, nil
	}
	src := &webui.Remote{Timeout: 2 * time.Second}
	for _, p := range procs {
		src.Targets = append(src.Targets, webui.Target{Name: p.info.Name, Admin: p.info.AdminAddr})
	}
	hub, err := webui.NewHub(src, webui.DefaultConfig())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("testnet: the live page cannot listen on %s (--ui-listen, or off): %w", listen, err)
	}
	mux := http.NewServeMux()
	hub.Register(mux, nil)
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	u := &testnetUI{hub: hub, ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		URL: "http://" + ln.Addr().String() + "/ui/"}
	go func() { _ = u.srv.Serve(ln) }() // ends with Close
	return u, nil
}

// Close ends the streams and the server.
func (u *testnetUI) Close() error {
	if u == nil {
		return nil
	}
	u.hub.Close()
	if err := u.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
