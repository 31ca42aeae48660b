package cft

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
)

// snapRetain is how many snapshots SnapshotStore keeps. Raft needs one; the
// second covers a crash between writing a new one and truncating the log.
const snapRetain = 2

// SnapshotStore keeps raft snapshots in the same pebble database as the log,
// one synced key per snapshot. It suits this package's FSM, whose snapshot is
// a few hundred bytes of chain metadata (block bodies live in the block log),
// and it means a node restarts from its pebble directory alone.
type SnapshotStore struct {
	store *Store
}

var _ raft.SnapshotStore = (*SnapshotStore)(nil)

// NewSnapshotStore returns a snapshot store sharing s's database and
// lifetime (it stops working when s is closed).
func NewSnapshotStore(s *Store) *SnapshotStore { return &SnapshotStore{store: s} }

func snapKey(index, term uint64) []byte {
	k := binary.BigEndian.AppendUint64(tableStart(tagSnap), index)
	return binary.BigEndian.AppendUint64(k, term)
}

// Create starts a snapshot; nothing is stored until the sink is closed.
func (ss *SnapshotStore) Create(version raft.SnapshotVersion, index, term uint64, conf raft.Configuration,
	confIndex uint64, _ raft.Transport) (raft.SnapshotSink, error) {
	meta := raft.SnapshotMeta{
		Version: version, Index: index, Term: term,
		Configuration: conf, ConfigurationIndex: confIndex,
		ID: hex.EncodeToString(snapKey(index, term)[len(KeyPrefix)+1:]),
	}
	return &snapSink{ss: ss, meta: meta}, nil
}

// List returns the stored snapshots, newest first.
func (ss *SnapshotStore) List() ([]*raft.SnapshotMeta, error) {
	var out []*raft.SnapshotMeta
	err := ss.scan(func(key, val []byte) error {
		meta, _, err := decodeSnap(val)
		if err != nil {
			return err
		}
		out = append(out, meta)
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// Open returns a stored snapshot's metadata and data.
func (ss *SnapshotStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != 16 {
		return nil, nil, fmt.Errorf("cft: snapshot id %q malformed", id)
	}
	s := ss.store
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	v, closer, err := s.db.Get(append(tableStart(tagSnap), raw...))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil, fmt.Errorf("cft: snapshot %s not found", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cft: open snapshot %s: %w", id, err)
	}
	defer func() { _ = closer.Close() }()
	meta, data, err := decodeSnap(v)
	if err != nil {
		return nil, nil, err
	}
	return meta, io.NopCloser(bytes.NewReader(data)), nil
}

// scan calls fn for every snapshot, oldest first.
func (ss *SnapshotStore) scan(fn func(key, val []byte) error) error {
	s := ss.store
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: tableStart(tagSnap), UpperBound: tableEnd(tagSnap)})
	if err != nil {
		return fmt.Errorf("cft: snapshot iterator: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("cft: snapshot iterator: %w", err)
	}
	return nil
}

// snapSink buffers the FSM's snapshot and stores it on Close.
type snapSink struct {
	ss   *SnapshotStore
	meta raft.SnapshotMeta
	buf  bytes.Buffer
}

func (k *snapSink) Write(p []byte) (int, error) { return k.buf.Write(p) }
func (k *snapSink) ID() string                  { return k.meta.ID }
func (k *snapSink) Cancel() error               { return nil }

// Close stores the snapshot and drops all but the newest snapRetain, in one
// synced batch.
func (k *snapSink) Close() error {
	k.meta.Size = int64(k.buf.Len())
	var old [][]byte
	if err := k.ss.scan(func(key, _ []byte) error {
		old = append(old, bytes.Clone(key))
		return nil
	}); err != nil {
		return err
	}
	val := encodeSnap(&k.meta, k.buf.Bytes())
	return k.ss.store.write(func(b *pebble.Batch) error {
		if err := b.Set(snapKey(k.meta.Index, k.meta.Term), val, nil); err != nil {
			return err
		}
		for i := 0; i+snapRetain-1 < len(old); i++ {
			if err := b.Delete(old[i], nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Snapshot value, version 1:
//
//	1 byte   version (1)
//	uvarint  raft snapshot version, index, term, configuration index
//	uvarint  length, raft.EncodeConfiguration bytes
//	uvarint  length, FSM snapshot bytes
const snapVersion = 1

func encodeSnap(m *raft.SnapshotMeta, data []byte) []byte {
	b := []byte{snapVersion}
	b = binary.AppendUvarint(b, uint64(m.Version))
	b = binary.AppendUvarint(b, m.Index)
	b = binary.AppendUvarint(b, m.Term)
	b = binary.AppendUvarint(b, m.ConfigurationIndex)
	b = appendBytes(b, raft.EncodeConfiguration(m.Configuration))
	return appendBytes(b, data)
}

func decodeSnap(v []byte) (*raft.SnapshotMeta, []byte, error) {
	d := decoder{b: v}
	if d.byte() != snapVersion {
		return nil, nil, fmt.Errorf("%w: snapshot version", ErrCorrupt)
	}
	m := &raft.SnapshotMeta{}
	m.Version = raft.SnapshotVersion(d.uvarint())
	m.Index = d.uvarint()
	m.Term = d.uvarint()
	m.ConfigurationIndex = d.uvarint()
	conf := d.bytes()
	data := d.bytes()
	if d.err != nil || len(d.b) != 0 {
		return nil, nil, fmt.Errorf("%w: snapshot", ErrCorrupt)
	}
	c, err := decodeConfiguration(conf)
	if err != nil {
		return nil, nil, err
	}
	m.Configuration = c
	m.Size = int64(len(data))
	m.ID = hex.EncodeToString(snapKey(m.Index, m.Term)[len(KeyPrefix)+1:])
	return m, data, nil
}
