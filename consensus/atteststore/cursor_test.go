package atteststore

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// The cursor survives a crash once set (synced), and is absent before.
func TestCursorIsDurable(t *testing.T) {
	fs := vfs.NewCrashableMem()
	db := open(t, fs)
	s := New(db)
	_, ok, err := s.Cursor()
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, s.SetCursor(42))
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	require.NoError(t, db.Close())
	db2 := open(t, crashed)
	defer func() { require.NoError(t, db2.Close()) }()
	h, ok, err := New(db2).Cursor()
	require.NoError(t, err)
	require.True(t, ok)
	require.EqualValues(t, 42, h)
	states, err := New(db2).Load()
	require.NoError(t, err)
	require.Empty(t, states, "the cursor is not a state")
}
