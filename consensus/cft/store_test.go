package cft

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func newTestStore(t *testing.T, dir string) (*Store, *pebble.DB) {
	t.Helper()
	db, err := openDB(t, dir)
	require.NoError(t, err)
	return NewStore(db, zerolog.Logger{}), db
}

func TestStoreLog(t *testing.T) {
	s, db := newTestStore(t, t.TempDir())
	defer func() { require.NoError(t, db.Close()) }()

	first, err := s.FirstIndex()
	require.NoError(t, err)
	require.Zero(t, first)
	require.ErrorIs(t, s.GetLog(1, &raft.Log{}), raft.ErrLogNotFound)

	at := time.Unix(100, 5)
	var logs []*raft.Log
	for i := uint64(1); i <= 10; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: i / 3, Type: raft.LogCommand, Data: []byte{byte(i)}, AppendedAt: at})
	}
	logs[0].Extensions = []byte("ext")
	require.NoError(t, s.StoreLogs(logs))
	require.NoError(t, s.StoreLog(&raft.Log{Index: 11, Term: 4, Type: raft.LogBarrier}))

	first, _ = s.FirstIndex()
	last, _ := s.LastIndex()
	require.Equal(t, []uint64{1, 11}, []uint64{first, last})
	var got raft.Log
	require.NoError(t, s.GetLog(1, &got))
	require.Equal(t, *logs[0], got)

	require.NoError(t, s.DeleteRange(1, 4))
	first, _ = s.FirstIndex()
	require.EqualValues(t, 5, first)
	require.NoError(t, s.DeleteRange(9, 11))
	last, _ = s.LastIndex()
	require.EqualValues(t, 8, last)
}

// TestTermAndVoteSurviveRestart is the property psibase's CFT lacks: the
// current term and the vote are on disk, synced, when raft acts on them.
func TestTermAndVoteSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s, db := newTestStore(t, dir)
	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 7))
	require.NoError(t, s.Set([]byte("LastVoteCand"), []byte("p1")))
	require.NoError(t, s.SetUint64([]byte("LastVoteTerm"), 7))
	require.NoError(t, s.Close())
	require.NoError(t, db.Close())

	s, db = newTestStore(t, dir)
	defer func() { require.NoError(t, db.Close()) }()
	term, err := s.GetUint64([]byte("CurrentTerm"))
	require.NoError(t, err)
	require.EqualValues(t, 7, term)
	cand, err := s.Get([]byte("LastVoteCand"))
	require.NoError(t, err)
	require.Equal(t, []byte("p1"), cand)
	missing, err := s.Get([]byte("nope"))
	require.NoError(t, err)
	require.NotNil(t, missing)
	require.Empty(t, missing)
	zero, err := s.GetUint64([]byte("nope"))
	require.NoError(t, err)
	require.Zero(t, zero)
}

func TestStoreAfterClose(t *testing.T) {
	s, db := newTestStore(t, t.TempDir())
	defer func() { require.NoError(t, db.Close()) }()
	require.NoError(t, s.Close())
	_, err := s.LastIndex()
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.GetLog(1, &raft.Log{}), ErrClosed)
	// A write racing shutdown is dropped, not a panic in raft.
	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 9))
}

// TestStoreKeysStayUnderPrefix checks raft never writes outside KeyPrefix,
// which is what lets the chain layer share the database.
func TestStoreKeysStayUnderPrefix(t *testing.T) {
	s, db := newTestStore(t, t.TempDir())
	defer func() { require.NoError(t, db.Close()) }()
	require.NoError(t, db.Set([]byte("chain/x"), []byte("1"), pebble.Sync))
	require.NoError(t, s.StoreLog(&raft.Log{Index: 1, Term: 1}))
	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 1))
	sink, err := NewSnapshotStore(s).Create(1, 1, 1, raft.Configuration{}, 1, nil)
	require.NoError(t, err)
	require.NoError(t, sink.Close())
	require.NoError(t, s.DeleteRange(0, ^uint64(0)))

	it, err := db.NewIter(nil)
	require.NoError(t, err)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		require.True(t, bytes.HasPrefix(k, []byte(KeyPrefix)) || string(k) == "chain/x", "stray key %q", k)
	}
	require.NoError(t, it.Close())
	v, closer, err := db.Get([]byte("chain/x"))
	require.NoError(t, err)
	require.Equal(t, "1", string(v))
	require.NoError(t, closer.Close())
}

func TestSnapshotStore(t *testing.T) {
	s, db := newTestStore(t, t.TempDir())
	defer func() { require.NoError(t, db.Close()) }()
	ss := NewSnapshotStore(s)
	conf := raft.Configuration{Servers: []raft.Server{{ID: "a", Address: "a", Suffrage: raft.Voter}}}
	for i := uint64(1); i <= 3; i++ {
		sink, err := ss.Create(1, i*10, i, conf, 2, nil)
		require.NoError(t, err)
		_, err = sink.Write([]byte{byte(i)})
		require.NoError(t, err)
		require.NoError(t, sink.Close())
	}
	list, err := ss.List()
	require.NoError(t, err)
	require.Len(t, list, snapRetain)
	require.EqualValues(t, 30, list[0].Index, "newest first")
	require.Equal(t, conf, list[0].Configuration)

	meta, rc, err := ss.Open(list[0].ID)
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, []byte{3}, data)
	require.EqualValues(t, 1, meta.Size)
	_, _, err = ss.Open("zz")
	require.Error(t, err)
}
