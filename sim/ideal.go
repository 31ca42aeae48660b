package sim

import (
	"container/heap"
	"time"
)

// idealDissemination is the earliest time a block of size bytes produced by
// src can reach every node: store-and-forward along shortest paths, each hop
// costing the link latency plus the block's serialization time (a node must
// hold a whole block before it can check and forward it). It is the max
// over nodes of the shortest path from src (Dijkstra; all links are equal
// today, but the computation does not assume it).
func idealDissemination(g graph, src int, hop time.Duration) time.Duration {
	dist := make([]time.Duration, len(g))
	for i := range dist {
		dist[i] = -1
	}
	dist[src] = 0
	q := &distQueue{{node: src}}
	for q.Len() > 0 {
		it := heap.Pop(q).(distItem)
		if it.d > dist[it.node] {
			continue
		}
		for _, w := range g[it.node] {
			if d := it.d + hop; dist[w] < 0 || d < dist[w] {
				dist[w] = d
				heap.Push(q, distItem{node: w, d: d})
			}
		}
	}
	var worst time.Duration
	for _, d := range dist {
		worst = max(worst, d)
	}
	return worst
}

type distItem struct {
	node int
	d    time.Duration
}

type distQueue []distItem

func (q distQueue) Len() int { return len(q) }
func (q distQueue) Less(i, j int) bool {
	if q[i].d != q[j].d {
		return q[i].d < q[j].d
	}
	return q[i].node < q[j].node
}
func (q distQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *distQueue) Push(x any)   { *q = append(*q, x.(distItem)) }
func (q *distQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
