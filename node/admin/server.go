package admin

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/webui"
)

// Backend is what the admin API reads and drives: *node.Node. Every method
// must be safe for concurrent use; the server calls them from its handler
// goroutines.
type Backend interface {
	Status() node.Status
	Peers() []node.PeerStatus
	Consensus() node.ConsensusStatus
	Counters() node.Counters
	Block(id block.ID) (*block.Block, error)
	BlockAt(ctx context.Context, height uint64) (*block.Block, error)
	Submit(ctx context.Context, tx []byte) (node.TxReceipt, error)
	WaitTx(ctx context.Context, hash block.Hash, state node.TxState) (node.TxReceipt, error)
	TxStatus(ctx context.Context, hash block.Hash) (node.TxReceipt, error)
	Network() link.Network
}

var (
	_ Backend          = (*node.Node)(nil)
	_ RoutesBackend    = (*node.Node)(nil)
	_ BroadcastBackend = (*node.Node)(nil)
	_ AttestBackend    = (*node.Node)(nil)
)

// Config configures the server.
type Config struct {
	// Listen is host:port.
	Listen string
	// Pprof mounts /debug/pprof.
	Pprof bool
	// Registry receives the node's metrics and is served on /metrics; nil
	// makes a private registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Logger logs requests that fail on the server's side and listener
	// errors; the zero value is silent.
	Logger zerolog.Logger
	// WaitTimeout bounds how long POST /tx waits for inclusion or
	// irreversibility.
	WaitTimeout time.Duration
	// Token is the bearer token mutating routes and pprof require when
	// RequireToken is set (node config admin.token_file).
	Token string
	// RequireToken turns the token check on. Start sets it whenever Listen
	// is not a loopback address (node.LoopbackListen) and then refuses to
	// start without a Token; Handler leaves it as given (tests force it).
	RequireToken bool
	// ReadyMaxHeadAge is the oldest head /readyz accepts; 0 skips the check.
	ReadyMaxHeadAge time.Duration
	// Version is the binary's version, shown in /status and as
	// blockwire_build_info.
	Version string
	// Now is the clock for head ages (default time.Now).
	Now func() time.Time
	// UI configures the web UI's stream (node/webui); the zero value is
	// webui.DefaultConfig().
	UI webui.Config
}

// Server is a running admin API.
type Server struct {
	b        Backend
	cfg      Config
	srv      *http.Server
	ln       net.Listener
	registry *prometheus.Registry
	hub      *webui.Hub // the web UI's stream; nil when the backend has no UI
	done     chan error
}

// Handler returns the API's routes without listening, for tests and for
// embedders that mount them in their own server.
func Handler(b Backend, cfg Config) http.Handler {
	s := &Server{b: b, cfg: withDefaults(cfg)}
	s.registry = s.cfg.Registry
	return s.routes()
}

func withDefaults(cfg Config) Config {
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = 30 * time.Second
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// Start listens on cfg.Listen and serves until Close. The node's metrics
// must already be registered in cfg.Registry (see NewMetrics).
func Start(b Backend, cfg Config) (*Server, error) {
	s := &Server{b: b, cfg: withDefaults(cfg), done: make(chan error, 1)}
	s.registry = s.cfg.Registry
	if !node.LoopbackListen(s.cfg.Listen) {
		s.cfg.RequireToken = true
	}
	if s.cfg.RequireToken && len(s.cfg.Token) < 16 {
		return nil, &ListenError{Addr: s.cfg.Listen, Err: errNoToken}
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, &ListenError{Addr: s.cfg.Listen, Err: err}
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		// Writes may wait for a transaction's inclusion.
		WriteTimeout: s.cfg.WaitTimeout + 10*time.Second,
		IdleTimeout:  time.Minute,
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

var errNoToken = errors.New("not a loopback address, and no admin token of at least 16 characters is configured (admin.token_file)")

// ListenError is a failure to bind the admin address (a port in use).
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	return "admin: cannot listen on " + e.Addr + ": " + e.Err.Error()
}
func (e *ListenError) Unwrap() error { return e.Err }

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, waiting up to a few seconds for requests in
// flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if s.hub != nil {
		s.hub.Close() // ends the event streams, which Shutdown would wait for
	}
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /readyz", s.ready)
	mux.HandleFunc("GET /status", s.status)
	mux.HandleFunc("GET /peers", s.peers)
	mux.HandleFunc("GET /peers/book", s.peerBook)
	mux.HandleFunc("POST /peers/{id}/ban", s.ban)
	mux.HandleFunc("DELETE /peers/{id}/ban", s.unban)
	mux.HandleFunc("GET /consensus", s.consensus)
	mux.HandleFunc("GET /routes", s.routeTable)
	mux.HandleFunc("GET /broadcast", s.broadcastInfo)
	mux.HandleFunc("GET /blocks", s.blockRange)
	mux.HandleFunc("GET /blocks/{ref}", s.block)
	mux.HandleFunc("POST /tx", s.submit)
	mux.HandleFunc("GET /tx/{hash}", s.tx)
	mux.HandleFunc("GET /propagation", s.propagation)
	s.mountUI(mux)

	mux.HandleFunc("GET /rbc", s.rbcStatus)

	mux.HandleFunc("GET /attest", s.attestStatus)
	mux.HandleFunc("GET /attest/{block}", s.attestation)
	mux.HandleFunc("POST /attest/{block}/retry", s.attestRetry)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	if s.cfg.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not-found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s.authorize(mux)
}
