package rbcstore

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/transport/rbc"
)

// Prefix is the first bytes of every key this package writes.
var Prefix = []byte("\xF3rbc/")

// Scope names the participant set a store's records belong to: the first
// bytes of rbc.Participants.Hash. An instance (origin, seq) means another
// broadcast under another set (origin is an index into the set, and every
// signature covers the set's hash), so each set keeps its own records.
type Scope [8]byte

// ScopeOf is the scope of a participant set.
func ScopeOf(set *rbc.Participants) Scope {
	var s Scope
	h := set.Hash()
	copy(s[:], h[:])
	return s
}

// Store is an rbc.Store on a pebble database it does not own, for the
// records of one participant set (Scope). It is used from the core's
// driver goroutine only.
type Store struct {
	db  *pebble.DB
	pre []byte // Prefix ‖ scope
}

var _ rbc.Store = (*Store)(nil)

// New returns the store of the records of scope in db.
func New(db *pebble.DB, scope Scope) *Store {
	return &Store{db: db, pre: append(append([]byte(nil), Prefix...), scope[:]...)}
}

func (s *Store) instKey(inst rbc.Instance) []byte {
	k := append(append([]byte(nil), s.pre...), 'i')
	k = binary.BigEndian.AppendUint16(k, inst.Origin)
	return binary.BigEndian.AppendUint64(k, inst.Seq)
}

func (s *Store) key(r rbc.Record) []byte {
	if r.Kind == rbc.RecFloor {
		return binary.BigEndian.AppendUint16(append(append([]byte(nil), s.pre...), 'f'), r.Inst.Origin)
	}
	return append(s.instKey(r.Inst), byte(r.Kind))
}

// Append writes recs in one batch and syncs it.
func (s *Store) Append(recs []rbc.Record) error {
	if len(recs) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer func() { _ = b.Close() }() // a batch's Close only releases memory
	for _, r := range recs {
		if err := b.Set(s.key(r), r.AppendBinary(nil), nil); err != nil {
			return fmt.Errorf("rbcstore: append %s: %w", r, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("rbcstore: sync: %w", err)
	}
	return nil
}

// Forget deletes every record of insts (not the floors), synced.
func (s *Store) Forget(insts []rbc.Instance) error {
	if len(insts) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer func() { _ = b.Close() }()
	for _, inst := range insts {
		lo := s.instKey(inst)
		if err := b.DeleteRange(lo, append(lo, 0xff), nil); err != nil {
			return fmt.Errorf("rbcstore: forget %s: %w", inst, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("rbcstore: forget: %w", err)
	}
	return nil
}

// Load returns every record: floors first, then instances in (origin,
// seq) order, skipping records at or below their origin's floor (a Forget
// lost in a crash).
func (s *Store) Load() ([]rbc.Record, error) {
	end := append(append([]byte(nil), s.pre...), 0xff) // keys are pre ‖ 'i' or 'f' ‖ …
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: s.pre, UpperBound: end})
	if err != nil {
		return nil, fmt.Errorf("rbcstore: load: %w", err)
	}
	var floors, insts []rbc.Record
	for ok := it.First(); ok; ok = it.Next() {
		k := append([]byte(nil), it.Key()...)
		r, err := rbc.DecodeRecord(append([]byte(nil), it.Value()...))
		if err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("rbcstore: record at key %x: %w", k, err)
		}
		if string(s.key(r)) != string(k) {
			_ = it.Close()
			return nil, fmt.Errorf("rbcstore: record %s stored under key %x", r, k)
		}
		if r.Kind == rbc.RecFloor {
			floors = append(floors, r)
		} else {
			insts = append(insts, r)
		}
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("rbcstore: load: %w", err)
	}
	floor := map[uint16]uint64{}
	for _, f := range floors {
		floor[f.Inst.Origin] = f.Inst.Seq
	}
	out := floors
	for _, r := range insts {
		if r.Inst.Seq > floor[r.Inst.Origin] {
			out = append(out, r)
		}
	}
	return out, nil
}
