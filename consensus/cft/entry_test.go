package cft

import (
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func idAt(h uint64, tag byte) block.ID {
	var id block.ID
	id[7] = byte(h)
	id[8] = tag
	return id
}

func TestBlockEntryRoundTrip(t *testing.T) {
	e := blockEntry{ID: idAt(5, 1), Parent: idAt(4, 1), HeaderHash: block.Hash{9},
		Changes: []Change{{Op: OpAdd, ID: "x", Addr: "x"}, {Op: OpRemove, ID: "y"}}}
	got, err := decodeBlockEntry(e.encode())
	require.NoError(t, err)
	require.Equal(t, e, got)

	bad := blockEntry{ID: idAt(7, 1), Parent: idAt(4, 1)}
	_, err = decodeBlockEntry(bad.encode())
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = decodeBlockEntry(append(e.encode(), 0))
	require.ErrorIs(t, err, ErrCorrupt, "trailing bytes")
}

func TestFSMStateRoundTrip(t *testing.T) {
	s := fsmState{
		Last:      Commit{ID: idAt(3, 2), Parent: idAt(2, 2), HeaderHash: block.Hash{1}, Term: 4, Index: 99},
		ConfIndex: 7,
		Conf:      raft.Configuration{Servers: []raft.Server{{ID: "a", Address: "a"}}},
		Pending:   []Change{{Op: OpRemove, ID: "a"}},
		Rejected:  2,
	}
	got, err := decodeState(encodeState(&s))
	require.NoError(t, err)
	require.Equal(t, s, got)
}

// TestFSMIgnoresStaleParent: an entry that does not extend the last
// committed block (a deposed leader's, appended after a rejected one) is
// ignored deterministically, and pending changes pop once satisfied.
func TestFSMIgnoresStaleParent(t *testing.T) {
	g := idAt(1, 0)
	var got []block.ID
	f := newFSM(g, applierFunc(func(c Commit) { got = append(got, c.ID) }), nil)
	apply := func(e blockEntry) any {
		return f.Apply(&raft.Log{Index: uint64(len(got) + 1), Data: e.encode()})
	}
	require.Nil(t, apply(blockEntry{ID: idAt(2, 1), Parent: g}))
	require.ErrorIs(t, apply(blockEntry{ID: idAt(2, 2), Parent: g}).(error), ErrStaleParent)
	require.ErrorIs(t, apply(blockEntry{ID: idAt(3, 2), Parent: idAt(2, 2)}).(error), ErrStaleParent)
	require.Nil(t, apply(blockEntry{ID: idAt(3, 1), Parent: idAt(2, 1),
		Changes: []Change{{Op: OpAdd, ID: "b", Addr: "b"}, {Op: OpRemove, ID: "zz"}}}))
	require.Equal(t, []block.ID{idAt(2, 1), idAt(3, 1)}, got)
	st := f.state()
	require.EqualValues(t, 2, st.Rejected)
	require.Len(t, st.Pending, 2)
	f.StoreConfiguration(9, raft.Configuration{Servers: []raft.Server{{ID: "b", Address: "b", Suffrage: raft.Voter}}})
	require.Empty(t, f.state().Pending, "add b is satisfied, then remove zz (absent) too")
}

type applierFunc func(Commit)

func (f applierFunc) Commit(c Commit) { f(c) }

func FuzzDecodeBlockEntry(f *testing.F) {
	f.Add((&blockEntry{ID: idAt(2, 1), Parent: idAt(1, 1), Changes: []Change{{Op: OpAdd, ID: "a", Addr: "a"}}}).encode())
	signed := block.SignedHeader{Header: block.Header{Height: 2, Parent: idAt(1, 1), Term: 3}}
	f.Add((&blockEntry{Header: &signed, Changes: []Change{{Op: OpRemove, ID: "a"}}}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeBlockEntry(b)
		if err != nil {
			return
		}
		again, err := decodeBlockEntry(e.encode())
		require.NoError(t, err)
		require.Equal(t, e, again)
	})
}

func FuzzDecodeState(f *testing.F) {
	f.Add(encodeState(&fsmState{Pending: []Change{{Op: OpRemove, ID: "a"}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeState(b) // must not panic
	})
}

func FuzzDecodeLog(f *testing.F) {
	f.Add(encodeLog(nil, &raft.Log{Term: 3, Data: []byte("x")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l raft.Log
		if decodeLog(1, b, &l) != nil {
			return
		}
		var again raft.Log
		require.NoError(t, decodeLog(1, encodeLog(nil, &l), &again))
		require.Equal(t, l, again)
	})
}
