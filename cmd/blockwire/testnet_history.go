package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node"
	"github.com/blockwire/blockwire/node/admin"
)

// historyResult is the end-of-run history check (issue 19, after
// CometBFT's e2e tests and hashicorp/raft's fuzzy verifier): every
// transaction acknowledged as irreversible is in every node's final
// irreversible chain exactly once, and all nodes hold the same block at
// every irreversible height they share.
type historyResult struct {
	lost, duplicated, checked int
	// behind counts acknowledged transactions above some node's
	// irreversible height: that node is behind (the recovery checks say
	// so), and whether it lost them cannot be told yet.
	behind    int
	divergent int
	compared  uint64
	problems  []string
}

// nodeHistory is one node's irreversible chain: block ids by height and
// how often each transaction hash appears.
type nodeHistory struct {
	irr   uint64
	ids   map[uint64]block.ID
	txs   map[block.Hash]int
	where map[block.Hash]uint64
	err   error
}

func checkHistory(ctx context.Context, clients []*adminClient, last []nodeSample, acked []node.TxReceipt) historyResult {
	var res historyResult
	hist := make([]*nodeHistory, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		if last[i].err != nil {
			continue // not running at the end (killed, never restarted)
		}
		wg.Go(func() { hist[i] = fetchHistory(ctx, c, last[i].status.Irreversible.Height) })
	}
	wg.Wait()
	for i, h := range hist {
		if h != nil && h.err != nil {
			res.problems = append(res.problems, fmt.Sprintf("history of node%d: %v", i, h.err))
			hist[i] = nil
		}
	}
	res.checked = len(acked)
	behindBy := make([]int, len(hist))
	for _, rec := range acked {
		lost, dup, behind := false, false, false
		for i, h := range hist {
			if h == nil {
				continue
			}
			switch n := h.txs[rec.Hash]; {
			case n == 0 && rec.Height > h.irr:
				// Issue 19: a node a minute behind was counted as losing
				// 23 transactions it received later.
				behind = true
				behindBy[i]++
			case n == 0:
				lost = true
				res.problems = appendCapped(res.problems, fmt.Sprintf("tx %s acknowledged irreversible at height %d is not in node%d's chain (irreversible %d)", rec.Hash, rec.Height, i, h.irr))
			case n > 1:
				dup = true
				res.problems = appendCapped(res.problems, fmt.Sprintf("tx %s is %d times in node%d's chain", rec.Hash, n, i))
			}
		}
		if lost {
			res.lost++
		} else if behind {
			res.behind++
		}
		if dup {
			res.duplicated++
		}
	}
	for i, n := range behindBy {
		if n > 0 {
			res.problems = append(res.problems, fmt.Sprintf("node%d is behind: %d acknowledged transactions are above its irreversible height %d (not checked there)", i, n, hist[i].irr))
		}
	}
	res.divergent, res.compared = divergence(hist, &res.problems)
	return res
}

// divergence counts heights at which two nodes hold different
// irreversible blocks.
func divergence(hist []*nodeHistory, problems *[]string) (int, uint64) {
	var top uint64
	for _, h := range hist {
		if h != nil {
			top = max(top, h.irr)
		}
	}
	divergent := 0
	var compared uint64
	for height := uint64(1); height <= top; height++ {
		var first block.ID
		holders, differ := 0, false
		for _, h := range hist {
			if h == nil || h.irr < height {
				continue
			}
			id := h.ids[height]
			if holders == 0 {
				first = id
			} else if id != first {
				differ = true
			}
			holders++
		}
		if holders >= 2 {
			compared++
		}
		if differ {
			divergent++
			*problems = appendCapped(*problems, fmt.Sprintf("nodes hold different irreversible blocks at height %d", height))
		}
	}
	return divergent, compared
}

// fetchHistory reads blocks 1..irr (ids and transaction hashes only).
func fetchHistory(ctx context.Context, c *adminClient, irr uint64) *nodeHistory {
	h := &nodeHistory{irr: irr, ids: map[uint64]block.ID{}, txs: map[block.Hash]int{}, where: map[block.Hash]uint64{}}
	const page = 100
	for from := uint64(1); from <= irr; from += page {
		var blocks []admin.Block
		path := fmt.Sprintf("/blocks?from=%d&limit=%d&hashes=1", from, min(uint64(page), irr-from+1))
		if err := c.do(ctx, "GET", path, nil, &blocks, nil); err != nil {
			h.err = err
			return h
		}
		if len(blocks) == 0 {
			h.err = fmt.Errorf("no blocks from height %d though irreversible is %d", from, irr)
			return h
		}
		for _, b := range blocks {
			h.ids[b.Height] = b.ID
			for _, tx := range b.TxHashes {
				h.txs[tx]++
				h.where[tx] = b.Height
			}
		}
	}
	return h
}

// appendCapped keeps problem lists readable: at most 20 lines.
func appendCapped(list []string, s string) []string {
	if len(list) >= 20 {
		return list
	}
	return append(list, s)
}
