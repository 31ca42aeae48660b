package forkdb_test

import (
	"runtime"
	"testing"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// BenchmarkInsert inserts a long chain in which every 10th block also gets a
// 3-block losing fork, with irreversibility trailing the head by 100 blocks.
// ns/op is per inserted header (forks included).
func BenchmarkInsert(b *testing.B) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	head := g
	hdrs := make([]block.SignedHeader, 0, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		next := c.child(head, 1)
		hdrs = append(hdrs[:0], next)
		if i%10 == 0 {
			f1 := c.child(head, 1)
			f2 := c.child(f1, 1)
			hdrs = append(hdrs, f1, f2)
		}
		for _, h := range hdrs {
			if err := tree.Insert(h); err != nil {
				b.Fatal(err)
			}
		}
		i += len(hdrs)
		head = next
		if h := head.Height; h > 100 && h%10 == 0 {
			id, _ := tree.Ancestor(tree.HeadID(), h-100)
			if _, err := tree.SetIrreversible(id); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkMemoryOverMillionBlocks inserts 1,000,000 blocks with
// irreversibility trailing the head by 1,000 blocks and reports the live heap
// after 100,000 and after 1,000,000 blocks: flat memory means the two match.
// Run with -benchtime=1x.
func BenchmarkMemoryOverMillionBlocks(b *testing.B) {
	const total, lag, early = 1_000_000, 1_000, 100_000
	for range b.N {
		base := liveHeap()
		var c chainBuilder
		g := genesis()
		tree := forkdb.New(g)
		head := g
		var heapEarly uint64
		for i := 1; i <= total; i++ {
			head = c.child(head, 1)
			if err := tree.Insert(head); err != nil {
				b.Fatal(err)
			}
			if head.Height > lag {
				id, _ := tree.Ancestor(head.ID(), head.Height-lag)
				if _, err := tree.SetIrreversible(id); err != nil {
					b.Fatal(err)
				}
			}
			if i == early {
				heapEarly = liveHeap()
			}
		}
		heapEnd := liveHeap()
		b.ReportMetric(float64(heapEarly), "heap-at-100k-B")
		b.ReportMetric(float64(heapEnd), "heap-at-1M-B")
		b.ReportMetric(float64(heapEnd-base)/float64(tree.Len()), "B/live-block")
		b.ReportMetric(float64(heapEnd)/float64(heapEarly), "growth-ratio")
		runtime.KeepAlive(tree)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkBestAt looks up every height of a 10,000-block chain that is not
// yet irreversible, as block sync does when it streams it: "index" is
// BestAt, "walk" the parent walk BestAt used before the index (Ancestor from
// the head), measured in the same run.
func BenchmarkBestAt(b *testing.B) {
	var c chainBuilder
	g := genesis()
	tree := forkdb.New(g)
	c.extend(b, tree, g, 1, 10_000)
	head := tree.HeadID()
	b.Run("index", func(b *testing.B) {
		for i := range b.N {
			if _, ok := tree.BestAt(uint64(i%10_000) + 1); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("walk", func(b *testing.B) {
		for i := range b.N {
			if _, ok := tree.Ancestor(head, uint64(i%10_000)+1); !ok {
				b.Fatal("missing")
			}
		}
	})
}
