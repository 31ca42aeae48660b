package chain

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// overlay holds one block's net writes on top of its parent's overlay. The
// chain of overlays from a block down to the first durable one, then the
// durable state in pebble, is the state after that block.
//
// Invariant: pebble's state table holds the state after the irreversible
// block; every non-durable overlay belongs to a block above it on a live
// branch, and its parent chain reaches a durable overlay (or nil) without
// crossing a pruned block.
type overlay struct {
	parent *overlay
	writes map[string]entry
	// durable is set when the overlay's block became irreversible and its
	// writes reached pebble: reads stop here and go to pebble. Its writes and
	// parent are dropped then, so committed overlays do not chain up memory.
	durable bool
}

// entry is a write: a value, or a deletion.
type entry struct {
	value   []byte
	deleted bool
}

func newOverlay(parent *overlay) *overlay {
	return &overlay{parent: parent, writes: make(map[string]entry)}
}

// markDurable records that pebble now holds this overlay's writes.
func (o *overlay) markDurable() {
	o.durable = true
	o.writes = nil
	o.parent = nil
}

// StateReader reads application state at one block.
type StateReader interface {
	// Get returns the value of key, and whether it is present. The returned
	// value must not be modified.
	Get(key []byte) ([]byte, bool, error)
}

// View is a read-only view of the application state after one block. It is
// valid until the next call that changes the Chain (Add, SetIrreversible,
// Finish): irreversibility moves durable state underneath it.
type View struct {
	ov *overlay
	db *pebble.DB
}

var _ StateReader = (*View)(nil)

// Get returns the value of key after the view's block.
func (v *View) Get(key []byte) ([]byte, bool, error) {
	for o := v.ov; o != nil && !o.durable; o = o.parent {
		if e, ok := o.writes[string(key)]; ok {
			return e.value, !e.deleted, nil
		}
	}
	val, closer, err := v.db.Get(stateKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("chain: reading state: %w", err)
	}
	out := bytes.Clone(val)
	if out == nil {
		out = []byte{}
	}
	return out, true, closer.Close()
}

// State is the application state a block executes on: reads see the parent's
// state plus this block's own writes; writes go to this block only. The chain
// hands one to App.StartBlock. It is not safe for concurrent use.
type State struct {
	View
	// journal undoes the current transaction's writes if it is rejected.
	journal []undo
}

var _ StateReader = (*State)(nil)

// undo restores one key of the overlay to what it was before a write.
type undo struct {
	key  string
	prev entry
	had  bool
}

func newState(parent *overlay, db *pebble.DB) *State {
	return &State{View: View{ov: newOverlay(parent), db: db}}
}

// Set writes key = value. Both are copied.
func (s *State) Set(key, value []byte) {
	s.write(string(key), entry{value: bytes.Clone(value)})
}

// Delete removes key.
func (s *State) Delete(key []byte) {
	s.write(string(key), entry{deleted: true})
}

func (s *State) write(k string, e entry) {
	if e.value == nil && !e.deleted {
		e.value = []byte{}
	}
	prev, had := s.ov.writes[k]
	s.journal = append(s.journal, undo{key: k, prev: prev, had: had})
	s.ov.writes[k] = e
}

// Write is one net change of a block's state.
type Write struct {
	Key    []byte
	Value  []byte // nil when Delete
	Delete bool
}

// Writes returns this block's net writes so far (the last write per key),
// sorted by key: a deterministic basis for a state root. The slices alias
// the state and must not be modified.
func (s *State) Writes() []Write {
	keys := make([]string, 0, len(s.ov.writes))
	for k := range s.ov.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Write, len(keys))
	for i, k := range keys {
		e := s.ov.writes[k]
		out[i] = Write{Key: []byte(k), Value: e.value, Delete: e.deleted}
		if e.deleted {
			out[i].Value = nil
		}
	}
	return out
}

// mark returns a savepoint for rollback.
func (s *State) mark() int { return len(s.journal) }

// rollback undoes every write since mark.
func (s *State) rollback(mark int) {
	for i := len(s.journal) - 1; i >= mark; i-- {
		u := s.journal[i]
		if u.had {
			s.ov.writes[u.key] = u.prev
		} else {
			delete(s.ov.writes, u.key)
		}
	}
	s.journal = s.journal[:mark]
}

// accept forgets the journal: the writes so far are final.
func (s *State) accept() { s.journal = s.journal[:0] }
