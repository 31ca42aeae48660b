package chain

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/rs/zerolog"
)

// FormatMajorVersion is the pebble on-disk format the node's database is
// created with and ratcheted to. Pebble's default is the oldest format it
// supports, so it is pinned here and bumped deliberately: ratchets are
// one-way, and a database written with a newer format cannot be opened by an
// older binary. FormatValueSeparation is the newest format of pebble v2.1.7
// (it includes WAL sync chunks, which let WAL replay tell a torn tail from
// corruption, and sstable footer checksums); value separation itself stays
// off unless enabled in the options.
const FormatMajorVersion = pebble.FormatValueSeparation

// DBConfig configures the node's pebble database. The zero value is not
// useful; start from DefaultDBConfig.
type DBConfig struct {
	// FS is the filesystem; nil means the operating system's. Tests use
	// vfs.NewMem(), which loses nothing on a simulated process crash.
	FS vfs.FS
	// Logger receives pebble's messages. The zero value is silent, except
	// that a fatal error is always written to stderr before the process
	// exits.
	Logger zerolog.Logger
	// MemTableSize is the size of one memtable in bytes (at least 1 MiB).
	// Larger memtables absorb block ingest bursts with fewer flushes at the
	// cost of memory (up to two are held).
	MemTableSize uint64
	// CacheSize is the block cache in bytes (at least 0).
	CacheSize int64
	// MaxCompactions is the most compactions pebble may run at once when it
	// falls behind (at least 1). Pebble's default is 1, which lets L0 pile
	// up under sustained ingest.
	MaxCompactions int
}

// DefaultDBConfig suits a node: 64 MiB memtables and cache, and up to half
// the CPUs (at least 2) for compactions.
func DefaultDBConfig() DBConfig {
	return DBConfig{
		MemTableSize:   64 << 20,
		CacheSize:      64 << 20,
		MaxCompactions: max(2, runtime.NumCPU()/2),
	}
}

// Validate reports the first unusable field.
func (c DBConfig) Validate() error {
	switch {
	case c.MemTableSize < 1<<20:
		return fmt.Errorf("chain: DBConfig.MemTableSize %d is below 1 MiB", c.MemTableSize)
	case c.CacheSize < 0:
		return fmt.Errorf("chain: DBConfig.CacheSize %d is negative", c.CacheSize)
	case c.MaxCompactions < 1:
		return fmt.Errorf("chain: DBConfig.MaxCompactions %d is below 1", c.MaxCompactions)
	}
	return nil
}

// OpenDB opens (creating if needed) the node's pebble database in dir with
// the pinned format. The caller owns the database and closes it after every
// user (the Chain and others) is done.
func OpenDB(dir string, cfg DBConfig) (*pebble.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	maxCompactions := cfg.MaxCompactions
	opts := &pebble.Options{
		FS:                         cfg.FS,
		FormatMajorVersion:         FormatMajorVersion,
		MemTableSize:               cfg.MemTableSize,
		CacheSize:                  cfg.CacheSize,
		CompactionConcurrencyRange: func() (int, int) { return 1, maxCompactions },
		Logger:                     &pebbleLogger{log: cfg.Logger, exit: os.Exit},
	}
	db, err := pebble.Open(dir, opts)
	if errors.Is(err, syscall.EAGAIN) || (err != nil && strings.Contains(err.Error(), "lock held by current process")) {
		// pebble's flock on the LOCK file (EAGAIN from another process, its
		// own message within this one): say what that means.
		return nil, fmt.Errorf("chain: opening database %s: %w (another process has it open)", dir, ErrDatabaseInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("chain: opening database %s: %w", dir, err)
	}
	return db, nil
}

// pebbleLogger adapts zerolog to pebble's Logger. Pebble calls Fatalf when it
// cannot continue safely (a WAL write or sync failed, so an acknowledged
// write may not be durable): the process must stop, so Fatalf never returns.
type pebbleLogger struct {
	log  zerolog.Logger
	exit func(code int) // os.Exit; replaced in tests
	// stderr receives fatal messages even when log is silent; nil means
	// os.Stderr.
	stderr *os.File
}

var _ pebble.Logger = (*pebbleLogger)(nil)

func (l *pebbleLogger) Infof(format string, args ...any) {
	l.log.Info().Str("component", "pebble").Msgf(format, args...)
}

func (l *pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error().Str("component", "pebble").Msgf(format, args...)
}

// Fatalf logs at fatal level, also writes to stderr (the zero logger is
// silent and an operator must learn why the node stopped), then exits.
func (l *pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.WithLevel(zerolog.FatalLevel).Str("component", "pebble").Msg(msg)
	out := l.stderr
	if out == nil {
		out = os.Stderr
	}
	_, _ = fmt.Fprintln(out, "blockwire: pebble fatal error:", msg)
	l.exit(2)
	// exit is os.Exit in production; a test replacement that returns must
	// still not let pebble continue.
	panic("chain: pebble fatal error: " + msg)
}
