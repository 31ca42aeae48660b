package atteststore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// tableCursor holds the requester's cursor: the height of the highest
// irreversible block handed to the scheduler (prefix 'c' -> height u64).
const tableCursor = 'c'

// Cursor returns the stored cursor; ok is false before the first SetCursor
// (attestation never ran on this database).
func (s *Store) Cursor() (height uint64, ok bool, err error) {
	v, closer, err := s.db.Get(tableKey(tableCursor))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("atteststore: cursor: %w", err)
	}
	defer func() { _ = closer.Close() }()
	if len(v) != 8 {
		return 0, false, fmt.Errorf("atteststore: cursor of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// SetCursor stores the cursor, synced. The driver sets it after the batch
// holding the states of the blocks up to height is durable, so a crash in
// between only re-adds blocks the scheduler already holds (Add ignores
// them) or has proofs for (the driver skips them).
func (s *Store) SetCursor(height uint64) error {
	if err := s.db.Set(tableKey(tableCursor), binary.BigEndian.AppendUint64(nil, height), pebble.Sync); err != nil {
		return fmt.Errorf("atteststore: cursor: %w", err)
	}
	return nil
}
