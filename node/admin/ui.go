package admin

import (
	"net/http"

	"github.com/blockwire/blockwire/internal/netview"
	"github.com/blockwire/blockwire/node/webui"
)

// mountUI serves the web UI (node/webui) when the backend can report its
// routes and block arrivals (*node.Node can): the page at /ui/, its SSE
// stream at /events and the node's report at /ui/api/report, which
// `blockwire testnet` gathers from every node for the network's page.
func (s *Server) mountUI(mux *http.ServeMux) {
	wb, ok := s.b.(webui.Backend)
	if !ok {
		return
	}
	cfg := s.cfg.UI
	if cfg == (webui.Config{}) {
		cfg = webui.DefaultConfig()
	}
	hub, err := webui.NewHub(webui.Local{B: wb}, cfg)
	if err != nil {
		s.cfg.Logger.Error().Err(err).Msg("web UI not mounted")
		return
	}
	s.hub = hub
	hub.Register(mux, func() netview.Report { return webui.Report(wb) })
}

// isUI reports whether a request is for the web UI or its stream.
func isUI(r *http.Request) bool {
	p := r.URL.Path
	return p == "/ui" || p == "/events" || len(p) >= 4 && p[:4] == "/ui/"
}
