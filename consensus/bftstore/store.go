package bftstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/consensus/bft"
)

// Prefix is the first bytes of every key this package writes.
var Prefix = []byte("\xF2bft/")

// Store is a bft.Store on a pebble database it does not own. It is used
// from the engine's driver goroutine only.
type Store struct {
	db *pebble.DB
}

var _ bft.Store = (*Store)(nil)

// New returns the store of the records in db.
func New(db *pebble.DB) *Store { return &Store{db: db} }

func key(r bft.Record) []byte {
	k := append([]byte(nil), Prefix...)
	k = binary.BigEndian.AppendUint64(k, r.View)
	k = append(k, byte(r.Kind))
	return append(k, r.Block[:]...)
}

func viewKey(view uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), Prefix...), view)
}

// Append writes recs in one batch and syncs it.
func (s *Store) Append(recs []bft.Record) error {
	if len(recs) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer func() { _ = b.Close() }() // a batch's Close only releases memory
	for _, r := range recs {
		if err := b.Set(key(r), r.AppendBinary(nil), nil); err != nil {
			return fmt.Errorf("bftstore: append %s: %w", r, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("bftstore: sync: %w", err)
	}
	return nil
}

// Load returns every record, lowest view first.
func (s *Store) Load() ([]bft.Record, error) {
	end := append(append([]byte(nil), Prefix[:len(Prefix)-1]...), Prefix[len(Prefix)-1]+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: Prefix, UpperBound: end})
	if err != nil {
		return nil, fmt.Errorf("bftstore: load: %w", err)
	}
	var out []bft.Record
	for ok := it.First(); ok; ok = it.Next() {
		k := append([]byte(nil), it.Key()...)
		r, err := bft.DecodeRecord(it.Value())
		if err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("bftstore: record at key %x: %w", k, err)
		}
		if string(key(r)) != string(k) {
			_ = it.Close()
			return nil, fmt.Errorf("bftstore: record %s stored under key %x", r, k)
		}
		out = append(out, r)
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("bftstore: load: %w", err)
	}
	return out, nil
}

// PruneBelow deletes the records of views below view, synced.
func (s *Store) PruneBelow(view uint64) error {
	if err := s.db.DeleteRange(viewKey(0), viewKey(view), pebble.Sync); err != nil {
		return fmt.Errorf("bftstore: prune below view %d: %w", view, err)
	}
	return nil
}

// epochKey holds the BFT driver's current epoch (consensus/bftrun). It is
// outside Prefix's view-ordered range, so PruneBelow never touches it.
var epochKey = []byte("\xF2bfe/epoch")

// SaveEpoch stores the driver's epoch record, synced.
func (s *Store) SaveEpoch(b []byte) error {
	if err := s.db.Set(epochKey, b, pebble.Sync); err != nil {
		return fmt.Errorf("bftstore: save epoch: %w", err)
	}
	return nil
}

// LoadEpoch returns the saved epoch record; ok is false when none is.
func (s *Store) LoadEpoch() ([]byte, bool, error) {
	v, closer, err := s.db.Get(epochKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("bftstore: load epoch: %w", err)
	}
	defer func() { _ = closer.Close() }()
	return append([]byte(nil), v...), true, nil
}
