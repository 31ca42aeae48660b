package node

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func TestMempoolBoundsDedupAndOrder(t *testing.T) {
	m := newMempool(3, 100)
	tx := func(i int) []byte { return []byte(fmt.Sprintf("tx-%02d", i)) }
	for i := range 3 {
		require.True(t, m.add(txHash(tx(i)), tx(i)))
	}
	require.True(t, m.add(txHash(tx(0)), tx(0)), "a duplicate is accepted (idempotent)")
	require.False(t, m.add(txHash(tx(3)), tx(3)), "full by count")
	require.Equal(t, 3, m.len())
	for i := range 3 {
		got, h, ok := m.peek(1 << 20)
		require.True(t, ok)
		require.Equal(t, tx(i), got)
		require.Equal(t, txHash(tx(i)), h)
		m.pop()
	}
	_, _, ok := m.peek(1 << 20)
	require.False(t, ok)

	m = newMempool(10, 10)
	require.True(t, m.add(txHash([]byte("12345678")), []byte("12345678")))
	require.False(t, m.add(txHash([]byte("abc")), []byte("abc")), "full by bytes")
	_, _, ok = m.peek(4)
	require.False(t, ok, "the head does not fit the budget")
}

func TestTxIndexEvictsOldestButKeepsWaited(t *testing.T) {
	x := newTxIndex(2)
	h := func(i byte) block.Hash { return block.Hash{i} }
	w := &txWaiter{want: TxIncluded, ch: make(chan TxReceipt, 1)}
	x.record(h(1))
	x.wait(h(1), w)
	x.record(h(2))
	x.record(h(3))
	_, ok := x.get(h(1))
	require.True(t, ok, "a record someone waits for is kept")
	x.record(h(4))
	_, ok = x.get(h(2))
	require.False(t, ok, "the oldest unwaited record is evicted")

	b := &block.Block{Txs: [][]byte{[]byte("a")}}
	x.included(b, x.deliver)
	x.rejected(h(1), "bad", "", x.deliver)
	r := <-w.ch
	require.Equal(t, TxRejected, r.State)
	require.Empty(t, x.waiters)
}
