package logs

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/node/config"
)

// Logs is the node's logging: one root logger writing JSON to the log file
// and JSON or console text to standard error, and a logger per component at
// its own level.
type Logs struct {
	root   zerolog.Logger
	levels map[string]zerolog.Level
	base   zerolog.Level
	file   *os.File
}

// Open sets up logging from cfg. logFile is the resolved path of the JSON
// log file ("" for none); stderr is where human-facing output goes, and
// console output is chosen when cfg.Format is "console", or "auto" and stderr
// is a terminal. Close the Logs to close the file.
func Open(cfg config.LogConfig, logFile string, stderr io.Writer) (*Logs, error) {
	base, err := parseLevel(cfg.Level)
	if err != nil {
		return nil, &config.ConfigError{Key: "log.level", Problem: err.Error()}
	}
	l := &Logs{levels: map[string]zerolog.Level{}, base: base}
	for comp, lv := range cfg.Components {
		level, err := parseLevel(lv)
		if err != nil {
			return nil, &config.ConfigError{Key: "log.components." + comp, Problem: err.Error()}
		}
		l.levels[comp] = level
	}
	var writers []io.Writer
	if console(cfg.Format, stderr) {
		writers = append(writers, zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly})
	} else {
		writers = append(writers, stderr)
	}
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("node: opening log file: %w", err)
		}
		l.file = f
		writers = append(writers, f)
	}
	// The root logger passes everything any component may want; each
	// component logger applies its own level.
	l.root = zerolog.New(zerolog.MultiLevelWriter(writers...)).With().Timestamp().Logger().Level(l.minLevel())
	return l, nil
}

// Root returns the node-wide logger at the configured base level.
func (l *Logs) Root() zerolog.Logger { return l.root.Level(l.base) }

// Component returns the logger for one component ("link", "blocksync",
// "consensus", "chain", "admin", "node"), tagged with its name and at its
// configured level.
func (l *Logs) Component(name string) zerolog.Logger {
	level, ok := l.levels[name]
	if !ok {
		level = l.base
	}
	return l.root.With().Str("component", name).Logger().Level(level)
}

// Bare returns a logger at a component's level without the component
// field, for layers that tag their own lines (link, cft and raft,
// pebble): zerolog does not de-duplicate fields, so tagging twice would
// print the key twice.
func (l *Logs) Bare(name string) zerolog.Logger {
	level, ok := l.levels[name]
	if !ok {
		level = l.base
	}
	return l.root.Level(level)
}

// Close closes the log file, if any.
func (l *Logs) Close() error {
	if l.file == nil {
		return nil
	}
	return l.file.Close()
}

func (l *Logs) minLevel() zerolog.Level {
	min := l.base
	for _, lv := range l.levels {
		if lv < min {
			min = lv
		}
	}
	return min
}

func parseLevel(s string) (zerolog.Level, error) {
	if s == "disabled" {
		return zerolog.Disabled, nil
	}
	level, err := zerolog.ParseLevel(s)
	if err != nil || s == "" {
		return zerolog.NoLevel, fmt.Errorf("%q is not a level (trace, debug, info, warn, error, disabled)", s)
	}
	return level, nil
}

func console(format string, w io.Writer) bool {
	switch format {
	case "console":
		return true
	case "json":
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
