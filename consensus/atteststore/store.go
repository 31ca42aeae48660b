package atteststore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// Prefix is the first bytes of every key this package writes.
var Prefix = []byte("\xF5attest/")

// Tables under Prefix.
const (
	tableSchedule = 'q'
	tableState    = 's'
	tableProof    = 'p'
)

// Store is the attestation state on a pebble database it does not own.
// It is used from the scheduler's driver goroutine only (Proof may be
// called from any goroutine: pebble reads are safe).
type Store struct {
	db *pebble.DB
}

// New returns the store in db.
func New(db *pebble.DB) *Store { return &Store{db: db} }

func tableKey(t byte, rest ...[]byte) []byte {
	k := append(append([]byte(nil), Prefix...), t)
	for _, r := range rest {
		k = append(k, r...)
	}
	return k
}

func scheduleKey(due time.Time, id block.ID) []byte {
	return tableKey(tableSchedule, binary.BigEndian.AppendUint64(nil, uint64(due.UnixMilli())), id[:])
}

func stateKey(id block.ID) []byte { return tableKey(tableState, id[:]) }
func proofKey(id block.ID) []byte { return tableKey(tableProof, id[:]) }

// Apply writes rd's Persist and Finalized in one synced batch.
func (s *Store) Apply(rd *attest.Ready) error { return s.apply(rd, nil) }

// ApplyWithCursor is Apply that also sets the cursor (Cursor) in the same
// batch: the blocks up to cursor were added to the scheduler, so their
// states and the cursor become durable together.
func (s *Store) ApplyWithCursor(rd *attest.Ready, cursor uint64) error { return s.apply(rd, &cursor) }

func (s *Store) apply(rd *attest.Ready, cursor *uint64) error {
	if len(rd.Persist) == 0 && len(rd.Finalized) == 0 && cursor == nil {
		return nil
	}
	b := s.db.NewBatch()
	defer func() { _ = b.Close() }() // a batch's Close only releases memory
	var err error
	if cursor != nil {
		err = b.Set(tableKey(tableCursor), binary.BigEndian.AppendUint64(nil, *cursor), nil)
	}
	for _, r := range rd.Persist {
		st := &r.State
		if !r.PrevDue.IsZero() && !r.PrevDue.Equal(st.Due) {
			err = errors.Join(err, b.Delete(scheduleKey(r.PrevDue, st.Block), nil))
		}
		if !st.Due.IsZero() {
			err = errors.Join(err, b.Set(scheduleKey(st.Due, st.Block), []byte{st.Level}, nil))
		}
		err = errors.Join(err, b.Set(stateKey(st.Block), st.AppendBinary(nil), nil))
	}
	for _, f := range rd.Finalized {
		id := f.Proof.Block
		if !f.PrevDue.IsZero() {
			err = errors.Join(err, b.Delete(scheduleKey(f.PrevDue, id), nil))
		}
		err = errors.Join(err, b.Delete(stateKey(id), nil), b.Set(proofKey(id), f.Proof.AppendBinary(nil), nil))
	}
	if err != nil {
		return fmt.Errorf("atteststore: batch: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("atteststore: sync: %w", err)
	}
	return nil
}

func (s *Store) scan(t byte, fn func(k, v []byte) error) error {
	lo := tableKey(t)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: tableKey(t + 1)})
	if err != nil {
		return fmt.Errorf("atteststore: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key()[len(lo):], it.Value()); err != nil {
			_ = it.Close()
			return err
		}
	}
	return it.Close()
}

// Load returns every pending block's state: scheduled ones in due order,
// then stalled ones in block order. It refuses the store if a record does
// not decode, a state is stored under another block's key, or the
// schedule and the states disagree.
func (s *Store) Load() ([]attest.State, error) {
	states := map[block.ID]attest.State{}
	var ids []block.ID
	err := s.scan(tableState, func(k, v []byte) error {
		st, err := attest.DecodeState(v)
		if err != nil {
			return fmt.Errorf("atteststore: state at %x: %w", k, err)
		}
		if !bytes.Equal(k, st.Block[:]) {
			return fmt.Errorf("atteststore: state of %s stored under %x", st.Block, k)
		}
		states[st.Block] = st
		ids = append(ids, st.Block)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []attest.State
	seen := map[block.ID]bool{}
	err = s.scan(tableSchedule, func(k, v []byte) error {
		if len(k) != 8+32 || len(v) != 1 {
			return fmt.Errorf("atteststore: schedule entry %x", k)
		}
		var id block.ID
		copy(id[:], k[8:])
		due := time.UnixMilli(int64(binary.BigEndian.Uint64(k[:8])))
		st, ok := states[id]
		if !ok || seen[id] || !st.Due.Equal(due) || st.Level != v[0] {
			return fmt.Errorf("atteststore: schedule entry %s at %d ms (L%d) does not match its state", id, due.UnixMilli(), v[0])
		}
		seen[id] = true
		out = append(out, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if st := states[id]; !seen[id] {
			if st.Stalled == "" {
				return nil, fmt.Errorf("atteststore: live block %s has no schedule entry", id)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// Proof returns the stored proof of a finalized block.
func (s *Store) Proof(id block.ID) (attest.Proof, bool, error) {
	v, closer, err := s.db.Get(proofKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return attest.Proof{}, false, nil
	}
	if err != nil {
		return attest.Proof{}, false, fmt.Errorf("atteststore: proof %s: %w", id, err)
	}
	defer func() { _ = closer.Close() }()
	p, err := attest.DecodeProof(v)
	if err != nil {
		return attest.Proof{}, false, fmt.Errorf("atteststore: proof %s: %w", id, err)
	}
	return p, true, nil
}

// Proofs calls fn for every stored proof, in block id order.
func (s *Store) Proofs(fn func(attest.Proof) error) error {
	return s.scan(tableProof, func(k, v []byte) error {
		p, err := attest.DecodeProof(v)
		if err != nil {
			return fmt.Errorf("atteststore: proof at %x: %w", k, err)
		}
		return fn(p)
	})
}
