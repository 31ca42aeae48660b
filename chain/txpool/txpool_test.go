package txpool

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestMempoolBoundsDedupAndOrder(t *testing.T) {
	m := New(3, 100)
	tx := func(i int) []byte { return []byte(fmt.Sprintf("tx-%02d", i)) }
	for i := range 3 {
		require.True(t, m.Add(Hash(tx(i)), tx(i)))
	}
	require.True(t, m.Add(Hash(tx(0)), tx(0)), "a duplicate is accepted (idempotent)")
	require.False(t, m.Add(Hash(tx(3)), tx(3)), "full by count")
	require.Equal(t, 3, m.Len())
	for i := range 3 {
		got, h, ok := m.Peek(1 << 20)
		require.True(t, ok)
		require.Equal(t, tx(i), got)
		require.Equal(t, Hash(tx(i)), h)
		m.Pop()
	}
	_, _, ok := m.Peek(1 << 20)
	require.False(t, ok)

	m = New(10, 10)
	require.True(t, m.Add(Hash([]byte("12345678")), []byte("12345678")))
	require.False(t, m.Add(Hash([]byte("abc")), []byte("abc")), "full by bytes")
	_, _, ok = m.Peek(4)
	require.False(t, ok, "the head does not fit the budget")
}

func TestTxIndexEvictsOldestButKeepsWaited(t *testing.T) {
	x := NewIndex(2)
	h := func(i byte) block.Hash { return block.Hash{i} }
	w := NewWaiter(Included)
	x.Record(h(1))
	x.Wait(h(1), w)
	x.Record(h(2))
	x.Record(h(3))
	_, ok := x.Get(h(1))
	require.True(t, ok, "a record someone waits for is kept")
	x.Record(h(4))
	_, ok = x.Get(h(2))
	require.False(t, ok, "the oldest unwaited record is evicted")

	b := &block.Block{Txs: [][]byte{[]byte("a")}}
	x.Included(b, x.Deliver)
	x.Reject(h(1), "bad", "", x.Deliver)
	r := <-w.C
	require.Equal(t, Rejected, r.State)
	require.Empty(t, x.waiters)
}
