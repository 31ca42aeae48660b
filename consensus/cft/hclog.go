package cft

import (
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/rs/zerolog"
)

// hcLog routes hashicorp/raft's hclog calls into zerolog. Raft's default
// logger writes DEBUG to stderr; this adapter makes the caller's zerolog
// logger (zero value: silent) the only sink. Key/value args become fields
// (a key zerolog already writes, such as raft's "time", gets a "raft_"
// prefix so no line carries a key twice). Repeated lines are rate-limited
// (repeatLimiter): without quorum raft logs the same few lines ~30 times a
// second.
type hcLog struct {
	z    zerolog.Logger
	name string
	args []any
	lim  *repeatLimiter
}

var _ hclog.Logger = (*hcLog)(nil)

func newHCLog(z zerolog.Logger, name string) hclog.Logger {
	return &hcLog{z: z.With().Str("component", name).Logger(), name: name, lim: newRepeatLimiter(time.Now)}
}

// repeatLimiter lets through at most repeatBurst lines with the same level,
// component and message per repeatWindow; the first line after a window
// with suppressed ones carries "suppressed": how many were dropped. It is
// shared by a logger and those derived from it (With, Named).
type repeatLimiter struct {
	now func() time.Time
	mu  sync.Mutex
	// seen is bounded by maxRepeatKeys: raft's messages are constants.
	seen map[string]*repeat
}

type repeat struct {
	start      time.Time
	n          int // lines in the window, let through or not
	suppressed int
}

const (
	repeatBurst   = 3
	repeatWindow  = 10 * time.Second
	maxRepeatKeys = 512
)

func newRepeatLimiter(now func() time.Time) *repeatLimiter {
	return &repeatLimiter{now: now, seen: map[string]*repeat{}}
}

// allow reports whether a line may be written, and how many like it were
// suppressed before it (to report on the line).
func (r *repeatLimiter) allow(key string) (bool, int) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.seen[key]
	if e == nil || now.Sub(e.start) >= repeatWindow {
		suppressed := 0
		if e != nil {
			suppressed = e.suppressed
		}
		if e == nil && len(r.seen) >= maxRepeatKeys {
			clear(r.seen)
		}
		r.seen[key] = &repeat{start: now, n: 1}
		return true, suppressed
	}
	e.n++
	if e.n <= repeatBurst {
		return true, 0
	}
	e.suppressed++
	return false, 0
}

// reservedKeys are fields zerolog writes itself.
var reservedKeys = map[string]bool{"time": true, "level": true, "message": true, "component": true}

// zlevel maps an hclog level to zerolog's; unknown levels log at info.
func zlevel(l hclog.Level) zerolog.Level {
	switch l {
	case hclog.Trace:
		return zerolog.TraceLevel
	case hclog.Debug:
		return zerolog.DebugLevel
	case hclog.Warn:
		return zerolog.WarnLevel
	case hclog.Error:
		return zerolog.ErrorLevel
	default:
		return zerolog.InfoLevel
	}
}

func (l *hcLog) Log(level hclog.Level, msg string, args ...any) {
	ev := l.z.WithLevel(zlevel(level))
	if ev == nil {
		return
	}
	ok, suppressed := true, 0
	if l.lim != nil {
		ok, suppressed = l.lim.allow(level.String() + "\x00" + l.name + "\x00" + msg)
	}
	if !ok {
		ev.Discard()
		return
	}
	addFields(ev, l.args)
	addFields(ev, args)
	if suppressed > 0 {
		ev.Int("suppressed", suppressed)
	}
	ev.Msg(msg)
}

func addFields(ev *zerolog.Event, args []any) {
	for i := 0; i < len(args); i += 2 {
		key := fmt.Sprint(args[i])
		if reservedKeys[key] {
			key = "raft_" + key
		}
		if i+1 == len(args) {
			ev.Str("EXTRA_VALUE_AT_END", key)
			return
		}
		switch v := args[i+1].(type) {
		case error:
			ev.AnErr(key, v)
		case hclog.Format:
			if len(v) > 0 {
				ev.Str(key, fmt.Sprintf(fmt.Sprint(v[0]), v[1:]...))
			}
		case string:
			ev.Str(key, v)
		default:
			ev.Str(key, fmt.Sprint(v))
		}
	}
}

func (l *hcLog) enabled(level hclog.Level) bool {
	ev := l.z.WithLevel(zlevel(level))
	ok := ev.Enabled()
	ev.Discard()
	return ok
}

func (l *hcLog) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l *hcLog) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l *hcLog) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l *hcLog) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l *hcLog) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }
func (l *hcLog) IsTrace() bool                 { return l.enabled(hclog.Trace) }
func (l *hcLog) IsDebug() bool                 { return l.enabled(hclog.Debug) }
func (l *hcLog) IsInfo() bool                  { return l.enabled(hclog.Info) }
func (l *hcLog) IsWarn() bool                  { return l.enabled(hclog.Warn) }
func (l *hcLog) IsError() bool                 { return l.enabled(hclog.Error) }
func (l *hcLog) ImpliedArgs() []any            { return l.args }
func (l *hcLog) Name() string                  { return l.name }

func (l *hcLog) With(args ...any) hclog.Logger {
	return &hcLog{z: l.z, name: l.name, args: append(append([]any(nil), l.args...), args...), lim: l.lim}
}

func (l *hcLog) Named(name string) hclog.Logger {
	if l.name != "" {
		name = l.name + "." + name
	}
	return l.ResetNamed(name)
}

func (l *hcLog) ResetNamed(name string) hclog.Logger {
	return &hcLog{z: l.z.With().Str("component", name).Logger(), name: name, args: l.args, lim: l.lim}
}

// SetLevel is a no-op: the level belongs to the caller's zerolog logger.
func (l *hcLog) SetLevel(hclog.Level) {}

func (l *hcLog) GetLevel() hclog.Level {
	for _, lv := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if l.enabled(lv) {
			return lv
		}
	}
	return hclog.Off
}

func (l *hcLog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

func (l *hcLog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer { return stdWriter{l} }

type stdWriter struct{ l *hcLog }

func (w stdWriter) Write(p []byte) (int, error) {
	w.l.Info(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
