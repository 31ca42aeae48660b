package bftstore

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

func open(t *testing.T, fs vfs.FS) *pebble.DB {
	t.Helper()
	cfg := chain.DefaultDBConfig()
	cfg.MemTableSize, cfg.CacheSize, cfg.FS = 1<<20, 1<<20, fs
	db, err := chain.OpenDB("db", cfg)
	require.NoError(t, err)
	return db
}

func id(h uint64, x byte) block.ID {
	var b block.ID
	b[7], b[8] = byte(h), x
	return b
}

// A synced Append survives a crash (pebble's crash-clone of an in-memory
// file system keeps exactly what was synced); PruneBelow removes only lower
// views; Load returns records in view order.
func TestRecordsSurviveACrashAndPrune(t *testing.T) {
	fs := vfs.NewCrashableMem()
	db := open(t, fs)
	s := New(db)
	recs := []bft.Record{
		{Kind: bft.RecNotarized, View: 2, Block: id(1, 1)},
		{Kind: bft.RecFinalized, View: 2, Block: id(1, 1)},
		{Kind: bft.RecNullified, View: 3},
		{Kind: bft.RecNotarized, View: 4, Block: id(2, 7)},
	}
	require.NoError(t, s.Append(recs[:2]))
	require.NoError(t, s.Append(recs[2:]))
	require.NoError(t, s.Append(recs[:1]), "appending again is harmless")
	// The contrast that makes this test able to fail: a record written
	// without sync is gone after the crash.
	lost := bft.Record{Kind: bft.RecNullified, View: 5}
	require.NoError(t, db.Set(key(lost), lost.AppendBinary(nil), pebble.NoSync))

	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	require.NoError(t, db.Close())
	db2 := open(t, crashed)
	defer db2.Close()
	s2 := New(db2)
	got, err := s2.Load()
	require.NoError(t, err)
	require.Equal(t, recs, got)

	require.NoError(t, s2.PruneBelow(3))
	got, err = s2.Load()
	require.NoError(t, err)
	require.Equal(t, recs[2:], got)
}

// A record that does not decode stops Load: a producer must not sign on a
// store it cannot read.
func TestCorruptRecordIsRefused(t *testing.T) {
	db := open(t, vfs.NewMem())
	defer db.Close()
	r := bft.Record{Kind: bft.RecNullified, View: 9}
	v := r.AppendBinary(nil)
	v[3] ^= 1
	require.NoError(t, db.Set(key(r), v, pebble.Sync))
	_, err := New(db).Load()
	require.Error(t, err)
}
