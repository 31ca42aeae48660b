package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
)

// Issue 19 (session 11): a leader that could not produce for 14 s (its
// parent's body was still on its way) put its whole backlog, 261
// transactions, into one 29 MB block. Over 100 Mbit/s links that block
// took 8 s to reach the first peer and 58 s to reach the last, every block
// after it waited behind it, and the network fell a minute behind its
// producer. A backlog is spread over blocks of at most
// consensus.block_target_bytes.
func TestABacklogIsSpreadOverBlocksOfBoundedSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 0)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 5*time.Second)
		n := tn.specs[0].n
		// 30 transactions of 240,000 bytes (the testnet's payload
		// size) arrive within one block interval: 7.2 MB of backlog.
		const txs, size = 30, 240000
		head, _ := n.Head()
		from := head.Height
		var wg sync.WaitGroup
		for i := range txs {
			wg.Go(func() {
				tx := kvTxOfSizeKeyed(t, size, i)
				_, err := n.Submit(context.Background(), tx)
				require.NoError(t, err)
			})
		}
		wg.Wait()
		head, _ = n.Head()
		to := head.Height
		var total, blocks int
		for h := from + 1; h <= to; h++ {
			b, err := n.BlockAt(context.Background(), h)
			require.NoError(t, err)
			require.LessOrEqual(t, b.EncodedSize(), DefaultConfig().Consensus.BlockTargetBytes, "block %d: %d transactions", h, len(b.Txs))
			total += len(b.Txs)
			if len(b.Txs) > 0 {
				blocks++
			}
		}
		require.Equal(t, txs, total)
		require.GreaterOrEqual(t, blocks, 2, "7.2 MB of backlog in one block")
	})
}

// A transaction larger than the producer's budget (but within what every
// node accepts) is not stranded: it goes alone in its block.
func TestATransactionAboveTheBlockBudgetGoesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget = 100000
		tn := newTestNet(t, EngineSolo, 1, 0)
		tn.tweak = map[int]func(*Config){0: func(c *Config) { c.Consensus.BlockTargetBytes = budget }}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 5*time.Second)
		n := tn.specs[0].n
		head, _ := n.Head()
		from := head.Height
		sizes := []int{240000, 30000, 30000, 30000, 30000}
		var wg sync.WaitGroup
		for i, size := range sizes {
			wg.Go(func() {
				r, err := n.Submit(context.Background(), kvTxOfSizeKeyed(t, size, i))
				require.NoError(t, err)
				require.Equal(t, TxIncluded, r.State)
			})
		}
		wg.Wait()
		head, _ = n.Head()
		var total int
		for h := from + 1; h <= head.Height; h++ {
			b, err := n.BlockAt(context.Background(), h)
			require.NoError(t, err)
			if len(b.Txs) > 1 {
				require.LessOrEqual(t, b.EncodedSize(), budget, "block %d: %d transactions", h, len(b.Txs))
			}
			total += len(b.Txs)
		}
		require.Equal(t, len(sizes), total)
	})
}

// kvTxOfSizeKeyed is kvTxOfSize under keys of its own (big/i/…), so that
// concurrent transactions differ.
func kvTxOfSizeKeyed(t *testing.T, size, i int) []byte {
	t.Helper()
	var ops []chain.KVOp
	for total := 0; total < size; total += 60000 {
		ops = append(ops, chain.KVOp{Kind: chain.KVSet, Key: fmt.Appendf(nil, "big/%d/%d", i, len(ops)), Value: make([]byte, 60000)})
	}
	last := &ops[len(ops)-1]
	for range 4 { // the value's length prefix may shrink as the value does
		tx := chain.AppendKVTx(nil, ops...)
		if len(tx) == size {
			return tx
		}
		last.Value = make([]byte, len(last.Value)-(len(tx)-size))
	}
	t.Fatalf("no key-value transaction of %d bytes", size)
	return nil
}
