package cft

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/blockwire/blockwire/chain/block"
)

// Commit tells the Applier that a block id was applied from the raft log:
// the block is committed and becomes irreversible on this node once its body
// is present in the block log (see Gate).
type Commit struct {
	ID, Parent block.ID
	HeaderHash block.Hash
	// Term and Index locate the raft log entry that carried the id.
	Term, Index uint64
	// Changes are the producer-set changes the block carries; the engine
	// queues them and the leader carries them out in order.
	Changes []Change
	// Snapshot is set when the commit comes from a raft snapshot restore
	// (at start, or when a lagging node is sent one): the blocks between the
	// previous commit and ID were committed without notices of their own,
	// and committing ID implies its ancestors.
	Snapshot bool
}

// Applier receives commits in raft log order. It is called on raft's FSM
// goroutine, one call at a time (the first may come before New returns,
// when raft restores its latest snapshot), and must not call back into the
// Engine or raft (that would deadlock raft's apply pipeline); it should
// record the commit and return. After a restart raft replays entries it
// already applied, so Commit must ignore ids at or below what the node
// already treats as irreversible. The Commit value is the Applier's to keep.
type Applier interface {
	Commit(c Commit)
}

// fsmState is everything the FSM knows; it is the snapshot.
type fsmState struct {
	// Last is the last committed block. Invariant: every applied block entry
	// has Parent == Last.ID at the time it is applied, so committed blocks
	// form one chain, identical on every node.
	Last Commit
	// ConfIndex and Conf are the latest raft configuration the log applied.
	ConfIndex uint64
	Conf      raft.Configuration
	// Pending are producer-set changes from committed blocks not yet
	// reflected in Conf. Invariant: the head is never already satisfied.
	Pending []Change
	// Rejected counts block entries ignored for a stale parent or refused
	// by authorize.
	Rejected uint64
}

// fsm applies block entries. Every node applies the same log through the
// same deterministic rules, which is the whole safety argument: see doc.go.
type fsm struct {
	applier  Applier
	serverOf func(block.PublicKey) (raft.ServerID, bool) // Config.ServerOf

	mu sync.Mutex
	st fsmState
}

var (
	_ raft.FSM                = (*fsm)(nil)
	_ raft.ConfigurationStore = (*fsm)(nil)
)

func newFSM(genesis block.ID, a Applier, serverOf func(block.PublicKey) (raft.ServerID, bool)) *fsm {
	return &fsm{applier: a, serverOf: serverOf, st: fsmState{Last: Commit{ID: genesis}}}
}

// Apply applies one log entry. It returns nil for a committed block, or an
// error for an ignored or undecodable entry; the leader sees the value as
// ApplyFuture.Response.
func (f *fsm) Apply(l *raft.Log) any {
	e, err := decodeBlockEntry(l.Data)
	if err != nil {
		return err
	}
	f.mu.Lock()
	if e.Parent != f.st.Last.ID {
		f.st.Rejected++
		f.mu.Unlock()
		return fmt.Errorf("%w: entry %d carries %s on %s, last is %s", ErrStaleParent, l.Index, e.ID, e.Parent, f.st.Last.ID)
	}
	if err := f.st.authorize(&e, l, f.serverOf); err != nil {
		f.st.Rejected++
		f.mu.Unlock()
		return err
	}
	c := Commit{ID: e.ID, Parent: e.Parent, HeaderHash: e.HeaderHash, Term: l.Term, Index: l.Index, Changes: e.Changes}
	f.st.Last = c
	f.st.Last.Changes = nil
	f.st.Pending = append(f.st.Pending, e.Changes...)
	f.st.popSatisfied()
	f.mu.Unlock()
	if f.applier != nil {
		f.applier.Commit(c)
	}
	return nil
}

// StoreConfiguration records a committed raft configuration.
func (f *fsm) StoreConfiguration(index uint64, conf raft.Configuration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.ConfIndex, f.st.Conf = index, conf.Clone()
	f.st.popSatisfied()
}

// popSatisfied drops pending changes the configuration already reflects.
func (s *fsmState) popSatisfied() {
	for len(s.Pending) > 0 && satisfied(s.Conf, s.Pending[0]) {
		s.Pending = s.Pending[1:]
	}
}

func satisfied(conf raft.Configuration, c Change) bool {
	for _, srv := range conf.Servers {
		if srv.ID == c.ID {
			return c.Op == OpAdd && srv.Suffrage == raft.Voter && srv.Address == c.Addr
		}
	}
	return c.Op == OpRemove
}

func (f *fsm) state() fsmState {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.st
	s.Pending = append([]Change(nil), s.Pending...)
	return s
}

func (f *fsm) last() Commit { return f.state().Last }

// Snapshot captures the state; raft persists it with Persist.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	s := f.state()
	return snapshotBytes(encodeState(&s)), nil
}

// Restore replaces the state with a snapshot's and tells the Applier.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("cft: read snapshot: %w", err)
	}
	s, err := decodeState(b)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.st = s
	f.mu.Unlock()
	if f.applier != nil && s.Last.Index != 0 {
		c := s.Last
		c.Snapshot = true
		f.applier.Commit(c)
	}
	return nil
}

type snapshotBytes []byte

func (s snapshotBytes) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("cft: write snapshot: %w", err)
	}
	return sink.Close()
}

func (snapshotBytes) Release() {}

// FSM snapshot, version 1:
//
//	1 byte   version (1)
//	32       last committed id
//	32       its parent
//	32       its header hash
//	uvarint  its raft term, its raft index
//	uvarint  configuration index; uvarint length, raft.EncodeConfiguration
//	uvarint  pending change count, then the changes
//	uvarint  rejected entries
const stateVersion = 1

func encodeState(s *fsmState) []byte {
	b := []byte{stateVersion}
	b = append(b, s.Last.ID[:]...)
	b = append(b, s.Last.Parent[:]...)
	b = append(b, s.Last.HeaderHash[:]...)
	b = binary.AppendUvarint(b, s.Last.Term)
	b = binary.AppendUvarint(b, s.Last.Index)
	b = binary.AppendUvarint(b, s.ConfIndex)
	b = appendBytes(b, raft.EncodeConfiguration(s.Conf))
	b = binary.AppendUvarint(b, uint64(len(s.Pending)))
	for _, c := range s.Pending {
		b = appendChange(b, c)
	}
	return binary.AppendUvarint(b, s.Rejected)
}

func decodeState(b []byte) (fsmState, error) {
	var s fsmState
	d := decoder{b: b}
	if d.byte() != stateVersion {
		return s, fmt.Errorf("%w: fsm snapshot version", ErrCorrupt)
	}
	copy(s.Last.ID[:], d.fixed(32))
	copy(s.Last.Parent[:], d.fixed(32))
	copy(s.Last.HeaderHash[:], d.fixed(32))
	s.Last.Term = d.uvarint()
	s.Last.Index = d.uvarint()
	s.ConfIndex = d.uvarint()
	conf := d.bytes()
	n := d.uvarint()
	for i := uint64(0); d.err == nil && i < n; i++ {
		s.Pending = append(s.Pending, d.change())
	}
	s.Rejected = d.uvarint()
	if d.err != nil || len(d.b) != 0 {
		return fsmState{}, fmt.Errorf("%w: fsm snapshot", ErrCorrupt)
	}
	if len(conf) > 0 {
		c, err := decodeConfiguration(conf)
		if err != nil {
			return fsmState{}, err
		}
		s.Conf = c
	}
	return s, nil
}
