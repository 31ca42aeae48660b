package chain

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

func TestStateReadsWalkOverlaysDownToTheDurableState(t *testing.T) {
	n := newNode(t)
	require.NoError(t, n.db.Set(stateKey([]byte("d")), []byte("disk"), pebble.Sync))
	base := &overlay{durable: true}
	parent := newState(base, n.db)
	parent.Set([]byte("p"), []byte("parent"))
	parent.Delete([]byte("d"))
	child := newState(parent.ov, n.db)
	child.Set([]byte("c"), []byte("child"))

	for key, want := range map[string]string{"p": "parent", "c": "child"} {
		v, ok := get(t, child, key)
		require.True(t, ok, key)
		require.Equal(t, want, v)
	}
	_, ok := get(t, child, "d")
	require.False(t, ok, "a deletion in an overlay hides the durable value")
	v, ok := get(t, &View{ov: base, db: n.db}, "d")
	require.True(t, ok)
	require.Equal(t, "disk", v)

	parent.ov.markDurable()
	v, ok = get(t, child, "d")
	require.True(t, ok, "reads stop at a durable overlay and go to pebble")
	require.Equal(t, "disk", v)
}

func TestStateRollbackUndoesOnlyTheRejectedTransaction(t *testing.T) {
	n := newNode(t)
	st := newState(nil, n.db)
	st.Set([]byte("a"), []byte("1"))
	st.accept()
	m := st.mark()
	st.Set([]byte("a"), []byte("2"))
	st.Set([]byte("b"), []byte("2"))
	st.Delete([]byte("a"))
	st.rollback(m)
	v, ok := get(t, st, "a")
	require.True(t, ok)
	require.Equal(t, "1", v)
	_, ok = get(t, st, "b")
	require.False(t, ok)
	require.Equal(t, []Write{{Key: []byte("a"), Value: []byte("1")}}, st.Writes())
}

func TestWritesAreSortedAndNetOfOverwrites(t *testing.T) {
	n := newNode(t)
	st := newState(nil, n.db)
	st.Set([]byte("b"), []byte("1"))
	st.Set([]byte("a"), nil)
	st.Set([]byte("b"), []byte("2"))
	st.Delete([]byte("c"))
	require.Equal(t, []Write{
		{Key: []byte("a"), Value: []byte{}},
		{Key: []byte("b"), Value: []byte("2")},
		{Key: []byte("c"), Delete: true},
	}, st.Writes())
}
