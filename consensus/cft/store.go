package cft

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
	"github.com/rs/zerolog"
)

// Key layout in the shared pebble database. Every key starts with KeyPrefix,
// a multi-byte prefix whose first byte (0xF0) no chain-layer table uses, so
// raft state never collides with the block log in the same DB:
//
//	KeyPrefix "l" BE64(index)             raft log entry (encodeLog)
//	KeyPrefix "s" name                    stable store value (term, vote, ...)
//	KeyPrefix "p" BE64(index) BE64(term)  FSM snapshot (meta and data)
const KeyPrefix = "\xF0raft/"

const (
	tagLog    = 'l'
	tagStable = 's'
	tagSnap   = 'p'
)

func tableStart(tag byte) []byte { return append([]byte(KeyPrefix), tag) }
func tableEnd(tag byte) []byte   { return append([]byte(KeyPrefix), tag+1) }

func logKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64(tableStart(tagLog), index)
}

func stableKey(name []byte) []byte { return append(tableStart(tagStable), name...) }

// Store is raft's LogStore and StableStore on a caller-owned pebble database.
// Every write is committed with pebble.Sync: raft acknowledges entries and
// votes to peers right after these calls return, so they must be durable.
// That is what makes the current term and the vote survive a restart (a
// node that forgot its vote could vote twice in one term and elect two
// leaders; psibase's CFT has exactly this gap).
//
// Store is safe for concurrent use. Close does not close the database (the
// caller owns it); it makes the Store refuse further reads and drop further
// writes, see Close.
type Store struct {
	// mu is held for reading by every operation and for writing by Close,
	// so no operation is inside pebble once Close returns.
	mu     sync.RWMutex
	db     *pebble.DB
	closed bool
	log    zerolog.Logger
}

var (
	_ raft.LogStore    = (*Store)(nil)
	_ raft.StableStore = (*Store)(nil)
)

// NewStore returns a Store on db. log receives the rare write dropped after
// Close; its zero value is silent.
func NewStore(db *pebble.DB, log zerolog.Logger) *Store {
	return &Store{db: db, log: log}
}

// Close detaches the Store from the database. Reads afterwards fail with
// ErrClosed. Writes afterwards are dropped and return nil: raft panics on a
// failed term write, and the only writer left after raft.Shutdown and the
// transport's Close is a heartbeat handler racing shutdown (hashicorp/raft
// issue #717), whose reply can no longer reach anyone because the stream
// layer closed its connections. Nothing acts on a promise nobody received.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// FirstIndex returns the first index in the log, 0 if it is empty.
func (s *Store) FirstIndex() (uint64, error) { return s.edgeIndex(true) }

// LastIndex returns the last index in the log, 0 if it is empty.
func (s *Store) LastIndex() (uint64, error) { return s.edgeIndex(false) }

func (s *Store) edgeIndex(first bool) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: tableStart(tagLog), UpperBound: tableEnd(tagLog)})
	if err != nil {
		return 0, fmt.Errorf("cft: log iterator: %w", err)
	}
	ok := it.Last()
	if first {
		ok = it.First()
	}
	var idx uint64
	if ok {
		idx = binary.BigEndian.Uint64(it.Key()[len(KeyPrefix)+1:])
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("cft: log iterator: %w", err)
	}
	return idx, nil
}

// GetLog reads the entry at index into out; raft.ErrLogNotFound if absent.
func (s *Store) GetLog(index uint64, out *raft.Log) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	v, closer, err := s.db.Get(logKey(index))
	if errors.Is(err, pebble.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return fmt.Errorf("cft: get log %d: %w", index, err)
	}
	defer func() { _ = closer.Close() }()
	return decodeLog(index, v, out)
}

// StoreLog stores one entry.
func (s *Store) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs stores entries atomically in one synced batch.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	return s.write(func(b *pebble.Batch) error {
		var buf []byte
		for _, l := range logs {
			buf = encodeLog(buf[:0], l)
			if err := b.Set(logKey(l.Index), buf, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteRange deletes entries min..max inclusive with one synced range
// tombstone, so truncating after a snapshot costs the same at any length.
func (s *Store) DeleteRange(lo, hi uint64) error {
	if hi < lo {
		return nil
	}
	end := tableEnd(tagLog)
	if hi < ^uint64(0) {
		end = logKey(hi + 1)
	}
	return s.write(func(b *pebble.Batch) error { return b.DeleteRange(logKey(lo), end, nil) })
}

// Set stores a stable value.
func (s *Store) Set(key, val []byte) error {
	return s.write(func(b *pebble.Batch) error { return b.Set(stableKey(key), val, nil) })
}

// Get returns a stable value; a missing key gives an empty slice and no
// error, as raft expects.
func (s *Store) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	v, closer, err := s.db.Get(stableKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return []byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cft: get %q: %w", key, err)
	}
	defer func() { _ = closer.Close() }()
	return bytes.Clone(v), nil
}

// SetUint64 stores a stable integer (big-endian).
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 returns a stable integer; a missing key gives 0.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: stable %q has %d bytes", ErrCorrupt, key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// write runs fill on a fresh batch and commits it synced.
func (s *Store) write(fill func(*pebble.Batch) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.log.Warn().Msg("raft store write after close dropped")
		return nil
	}
	b := s.db.NewBatch()
	defer func() { _ = b.Close() }()
	if err := fill(b); err != nil {
		return fmt.Errorf("cft: batch: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("cft: commit: %w", err)
	}
	return nil
}

// Log entry value, version 1:
//
//	1 byte   version (1)
//	uvarint  term
//	1 byte   type (raft.LogType)
//	varint   appended-at, unix nanoseconds (0 when unset)
//	uvarint  data length, data
//	uvarint  extensions length, extensions
const logVersion = 1

func encodeLog(b []byte, l *raft.Log) []byte {
	b = append(b, logVersion)
	b = binary.AppendUvarint(b, l.Term)
	b = append(b, byte(l.Type))
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	b = binary.AppendVarint(b, at)
	b = appendBytes(b, l.Data)
	return appendBytes(b, l.Extensions)
}

func decodeLog(index uint64, v []byte, out *raft.Log) error {
	d := decoder{b: v}
	if d.byte() != logVersion {
		return fmt.Errorf("%w: log %d version", ErrCorrupt, index)
	}
	out.Index = index
	out.Term = d.uvarint()
	out.Type = raft.LogType(d.byte())
	out.AppendedAt = time.Time{}
	if at := d.varint(); at != 0 {
		out.AppendedAt = time.Unix(0, at)
	}
	out.Data = d.bytes()
	out.Extensions = d.bytes()
	if d.err != nil || len(d.b) != 0 {
		return fmt.Errorf("%w: log %d", ErrCorrupt, index)
	}
	return nil
}
