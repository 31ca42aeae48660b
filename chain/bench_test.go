package chain

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// benchBlocks seals n blocks of one transaction of size bytes each. They
// are not a chain: the log stores by id and does not care.
func benchBlocks(b *testing.B, n, size int) []*block.Block {
	b.Helper()
	out := make([]*block.Block, n)
	for i := range out {
		tx := make([]byte, size)
		tx[0], tx[1] = byte(i), byte(i>>8)
		blk, err := block.Seal(block.Header{Height: uint64(i + 2), Parent: block.ID{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}, Term: 1}, [][]byte{tx}, nil, testKey(1))
		require.NoError(b, err)
		out[i] = blk
	}
	return out
}

// BenchmarkLogAppendSynced measures the block log's synced batch write
// rate against a raw pebble batch of the same keys and encoded bytes
// committed with Sync. Each iteration writes one log batch to one database
// and one raw batch to another (both on the real disk under the test's
// temporary directory), timing each, so that the ratio is measured under
// the same machine noise. Metrics: log and raw blocks/s and MiB/s, and
// log/raw (1.0 means no overhead over pebble).
func BenchmarkLogAppendSynced(b *testing.B) {
	for _, sz := range []struct{ batch, size int }{{1, 1 << 10}, {16, 1 << 10}, {64, 1 << 10}, {1, 64 << 10}, {16, 64 << 10}, {1, 1 << 20}} {
		blocks := benchBlocks(b, max(64, sz.batch*4), sz.size)
		b.Run(fmt.Sprintf("batch=%d/size=%dKiB", sz.batch, sz.size>>10), func(b *testing.B) {
			benchAppend(b, blocks, sz.batch)
		})
	}
}

func benchAppend(b *testing.B, blocks []*block.Block, batch int) {
	logDB, err := OpenDB(b.TempDir(), DefaultDBConfig())
	require.NoError(b, err)
	defer logDB.Close()
	rawDB, err := OpenDB(b.TempDir(), DefaultDBConfig())
	require.NoError(b, err)
	defer rawDB.Close()
	l := NewLog(logDB, block.DefaultLimits())
	keys, encs := make([][]byte, len(blocks)), make([][]byte, len(blocks))
	bytesPerBatch := 0
	for i, blk := range blocks {
		keys[i], encs[i] = blockKey(blk.ID()), blk.Encode()
		if i < batch {
			bytesPerBatch += len(encs[i])
		}
	}
	var logTime, rawTime time.Duration
	n := 0
	for b.Loop() {
		lo := (n * batch) % (len(blocks) - batch + 1)
		n++
		t0 := time.Now()
		if err := l.Append(blocks[lo:lo+batch], pebble.Sync); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rawBatch(b, rawDB, keys[lo:lo+batch], encs[lo:lo+batch])
		logTime, rawTime = logTime+t1.Sub(t0), rawTime+time.Since(t1)
	}
	blocksN, mib := float64(n*batch), float64(n*bytesPerBatch)/(1<<20)
	b.ReportMetric(blocksN/logTime.Seconds(), "log-blocks/s")
	b.ReportMetric(blocksN/rawTime.Seconds(), "raw-blocks/s")
	b.ReportMetric(mib/logTime.Seconds(), "log-MiB/s")
	b.ReportMetric(mib/rawTime.Seconds(), "raw-MiB/s")
	b.ReportMetric(rawTime.Seconds()/logTime.Seconds(), "log/raw")
}

func rawBatch(b *testing.B, db *pebble.DB, keys, vals [][]byte) {
	batch := db.NewBatch()
	for j := range keys {
		if err := batch.Set(keys[j], vals[j], nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		b.Fatal(err)
	}
	_ = batch.Close()
}

// BenchmarkChainAddSynced measures the whole follower path: Add (signature
// check, KV execution of 16 transactions, unsynced store, fork database)
// with SetIrreversible (a synced batch that also makes the unsynced blocks
// before it durable) every 16 blocks, against
// raw synced pebble batches of the same encoded blocks (raw).
func BenchmarkChainAddSynced(b *testing.B) {
	const perSync = 16
	src := newNode(b)
	var blocks []*block.Block
	for i := range 1024 {
		txs := make([][]byte, 16)
		for j := range txs {
			txs[j] = set(fmt.Sprintf("key-%d", j), fmt.Sprintf("value-%d-%d", i, j))
		}
		blocks = append(blocks, src.produce(1, txs...))
	}
	b.Run("chain", func(b *testing.B) {
		var c *Chain
		var db *pebble.DB
		next := len(blocks)
		for i := 0; b.Loop(); i++ {
			if next == len(blocks) { // start over on a fresh chain
				b.StopTimer()
				if db != nil {
					require.NoError(b, db.Close())
				}
				var err error
				db, err = OpenDB(b.TempDir(), DefaultDBConfig())
				require.NoError(b, err)
				c, err = Open(db, NewKV(DefaultKVLimits()), testGenesis(b), DefaultConfig())
				require.NoError(b, err)
				next = 0
				b.StartTimer()
			}
			if _, err := c.Add(blocks[next]); err != nil {
				b.Fatal(err)
			}
			next++
			if next%perSync == 0 {
				if _, err := c.SetIrreversible(blocks[next-2].ID()); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
		require.NoError(b, db.Close())
	})
	b.Run("raw", func(b *testing.B) {
		db, err := OpenDB(b.TempDir(), DefaultDBConfig())
		require.NoError(b, err)
		defer db.Close()
		keys, encs := make([][]byte, len(blocks)), make([][]byte, len(blocks))
		for i, blk := range blocks {
			keys[i], encs[i] = blockKey(blk.ID()), blk.Encode()
		}
		var n int
		for b.Loop() {
			lo := n % (len(blocks) - perSync + 1)
			rawBatch(b, db, keys[lo:lo+perSync], encs[lo:lo+perSync])
			n += perSync
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "blocks/s")
	})
}

// BenchmarkHeaderLookup measures what a peer's hello naming a stored
// block costs the node's loop: "header" is Log.Header (the 'H' record, issue
// 11), "body" is the read and decode of the whole block that Header cost
// before it. Blocks of one transaction of size bytes, on the real disk,
// warm in pebble's cache.
func BenchmarkHeaderLookup(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20, 4 << 20} {
		db, err := OpenDB(b.TempDir(), DefaultDBConfig())
		require.NoError(b, err)
		l := NewLog(db, block.DefaultLimits())
		blocks := benchBlocks(b, 4, size)
		require.NoError(b, l.Append(blocks, pebble.Sync))
		id := blocks[0].ID()
		b.Run(fmt.Sprintf("header/size=%dKiB", size>>10), func(b *testing.B) {
			for range b.N {
				if _, err := l.Header(id); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("body/size=%dKiB", size>>10), func(b *testing.B) {
			for range b.N {
				if _, err := l.Block(id); err != nil {
					b.Fatal(err)
				}
			}
		})
		require.NoError(b, db.Close())
	}
}
