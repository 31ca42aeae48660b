package link

import (
	"context"
	"log/slog"
	"sync"

	"github.com/libp2p/go-libp2p/gologshim"
	"github.com/rs/zerolog"
)

// libp2p logs through package-level slog loggers whose handler is chosen
// once, process-wide, by gologshim.SetDefaultHandler before the first log.
// That is the one global link cannot avoid; it is confined here. At init we
// install a fan-out handler that forwards every libp2p record to the
// Config.Logger of each live Host (with component=libp2p), so that the
// zero-value logger keeps libp2p silent too. An application that wants
// libp2p's logs elsewhere may call gologshim.SetDefaultHandler itself after
// init; its handler then wins.
var libp2pSinks = &sinkSet{loggers: map[*Host]zerolog.Logger{}}

func init() {
	gologshim.SetDefaultHandler(&fanout{set: libp2pSinks})
}

type sinkSet struct {
	mu      sync.RWMutex
	loggers map[*Host]zerolog.Logger
}

func (s *sinkSet) add(h *Host, l zerolog.Logger) {
	s.mu.Lock()
	s.loggers[h] = l.With().Str("component", "libp2p").Logger()
	s.mu.Unlock()
}

func (s *sinkSet) remove(h *Host) {
	s.mu.Lock()
	delete(s.loggers, h)
	s.mu.Unlock()
}

// fanout is an slog.Handler that replays each record into every sink
// through zerolog's slog handler. ops are the WithAttrs/WithGroup calls
// made on it, re-applied per sink (libp2p logs rarely; simplicity wins).
type fanout struct {
	set *sinkSet
	ops []func(slog.Handler) slog.Handler
}

func (f *fanout) handlers() []slog.Handler {
	f.set.mu.RLock()
	defer f.set.mu.RUnlock()
	out := make([]slog.Handler, 0, len(f.set.loggers))
	for _, l := range f.set.loggers {
		var h slog.Handler = zerolog.NewSlogHandler(l)
		for _, op := range f.ops {
			h = op(h)
		}
		out = append(out, h)
	}
	return out
}

func (f *fanout) Enabled(ctx context.Context, lvl slog.Level) bool {
	for _, h := range f.handlers() {
		if h.Enabled(ctx, lvl) {
			return true
		}
	}
	return false
}

func (f *fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f.handlers() {
		if h.Enabled(ctx, r.Level) {
			_ = h.Handle(ctx, r.Clone()) // a failing sink must not stop the others
		}
	}
	return nil
}

func (f *fanout) with(op func(slog.Handler) slog.Handler) *fanout {
	ops := append(append([]func(slog.Handler) slog.Handler(nil), f.ops...), op)
	return &fanout{set: f.set, ops: ops}
}

func (f *fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	return f.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

func (f *fanout) WithGroup(name string) slog.Handler {
	return f.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}
