package txpool

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Room is the rule a producer fills a block by: the next transaction fits
// under the target unless the block is empty, never past the hard limit
// or the count.
func TestBudgetRoom(t *testing.T) {
	const mib = 1 << 20
	b := Budget{MaxBlockBytes: 64 * mib, TargetBytes: 2 * mib, MaxTxs: 100}
	for _, c := range []struct {
		name        string
		b           Budget
		used, count int
		want        int
	}{
		{"empty block: the hard limit, not the target", b, 0, 0, 64*mib - BlockOverhead},
		{"one in: the target", b, Cost(240_000), 1, 2*mib - BlockOverhead - Cost(240_000)},
		{"at the target: nothing fits", b, 2*mib - BlockOverhead, 8, 0},
		{"past the target (a large first tx): nothing more", b, Cost(3 * mib), 1, 2*mib - BlockOverhead - Cost(3*mib)},
		{"the count ends the block", b, 0, 100, -1},
		{"no target: only the hard limit", Budget{MaxBlockBytes: 64 * mib, MaxTxs: 100}, 5 * mib, 3, 59*mib - BlockOverhead},
		{"a target above the hard limit is the hard limit", Budget{MaxBlockBytes: mib, TargetBytes: 4 * mib, MaxTxs: 100}, 1000, 1, mib - BlockOverhead - 1000},
	} {
		require.Equal(t, c.want, c.b.Room(c.used, c.count), c.name)
	}
}

// A backlog drains over several blocks oldest first: each block stops at
// the first transaction past the target (nothing behind it jumps ahead),
// and a transaction larger than the target still goes, alone.
func TestBudgetDrainsABacklogInOrder(t *testing.T) {
	const kb = 1000
	sizes := []int{240 * kb, 240 * kb, 240 * kb, 240 * kb, 240 * kb, 10 * kb, 900 * kb, 240 * kb, 5 * kb}
	p := New(100, 1<<30)
	for i, n := range sizes {
		tx := make([]byte, n)
		copy(tx, fmt.Sprint(i))
		require.True(t, p.Add(Hash(tx), tx))
	}
	b := Budget{MaxBlockBytes: 64 << 20, TargetBytes: 768 * kb, MaxTxs: 100}
	var blocks [][]int
	for p.Len() > 0 {
		var blk []int
		used := 0
		for {
			tx, _, ok := p.Peek(b.Room(used, len(blk)))
			if !ok {
				break
			}
			p.Pop()
			blk = append(blk, len(tx))
			used += Cost(len(tx))
		}
		require.NotEmpty(t, blk, "every block takes at least the oldest transaction")
		blocks = append(blocks, blk)
	}
	require.Equal(t, [][]int{
		{240 * kb, 240 * kb, 240 * kb}, // a fourth would pass 768 kB
		{240 * kb, 240 * kb, 10 * kb},  // 900 kB waits: the 240 kB and 5 kB behind it do not jump ahead
		{900 * kb},                     // larger than the target: alone
		{240 * kb, 5 * kb},
	}, blocks)
}
