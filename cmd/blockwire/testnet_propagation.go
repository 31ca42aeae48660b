package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node"
)

// propagationFigures are computed from the nodes' own per-block records
// (GET /propagation), with the simulator's definitions (sim.Result):
// copies per node is bodies received by all nodes per block over nodes-1
// (1.0 is perfect); p50/p100 are, for the median block, the time from its
// producer's finishing it (or handing it to a queued relay, if later)
// until half of / all the other nodes held it.
type propagationFigures struct {
	BlocksMeasured    int     `json:"blocks_measured"`
	CopiesPerNode     float64 `json:"copies_per_node"`
	PropagationP50Ms  float64 `json:"propagation_p50_ms"`
	PropagationP100Ms float64 `json:"propagation_p100_ms"`
	// PropagationMaxMs is the p100 of the slowest measured block.
	PropagationMaxMs float64 `json:"propagation_max_ms"`
}

// measurePropagation reads every node's record of the blocks made during
// the run (a few blocks after the first sample, so payload blocks, up to
// a few before the last) and computes the figures over the blocks every
// node received as news (not while catching up).
// With dump set, the raw records go there as JSON (node name → peer id
// and records), for per-hop analysis (scripts/prophops.py).
func measurePropagation(ctx context.Context, clients []*adminClient, first, last []nodeSample, n, minSize int, dump string, nodes []node.NetworkNode) propagationFigures {
	var lo, hi uint64
	hi = ^uint64(0)
	for i := range first {
		if first[i].err == nil {
			lo = max(lo, first[i].status.Head.Height+3)
		}
		if last[i].err == nil {
			hi = min(hi, last[i].status.Head.Height)
		}
	}
	hi = max(hi, 2) - 2
	recs := make([][]node.BlockArrival, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			_ = c.do(ctx, "GET", fmt.Sprintf("/propagation?from=%d", lo), nil, &recs[i], nil)
		})
	}
	wg.Wait()
	if dump != "" {
		dumpPropagation(dump, recs, nodes, lo, hi)
	}
	return propagationFrom(recs, lo, hi, n, minSize)
}

// propagationDump is the file dumpPropagation writes.
type propagationDump struct {
	From    uint64                         `json:"from"`
	To      uint64                         `json:"to"`
	Peers   map[string]string              `json:"peers"` // peer id → node name
	Records map[string][]node.BlockArrival `json:"records"`
}

// dumpPropagation writes the nodes' raw records; a failure costs only the
// dump, so it is reported on stderr and the run goes on.
func dumpPropagation(path string, recs [][]node.BlockArrival, nodes []node.NetworkNode, lo, hi uint64) {
	d := propagationDump{From: lo, To: hi, Peers: map[string]string{}, Records: map[string][]node.BlockArrival{}}
	for i, nd := range nodes {
		d.Peers[nd.PeerID.String()] = nd.Name
		if i < len(recs) {
			d.Records[nd.Name] = recs[i]
		}
	}
	b, err := json.Marshal(d)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testnet: writing %s: %v\n", path, err)
	}
}

// propagationFrom is the pure part of measurePropagation: recs[i] is node
// i's record. Blocks smaller than minSize (a payload that did not make it
// into them) are left out, so that runs compare blocks of one size.
func propagationFrom(recs [][]node.BlockArrival, lo, hi uint64, n, minSize int) propagationFigures {
	type seen struct {
		arrive  []time.Duration
		copies  int
		partial bool
	}
	by := map[block.ID]*seen{}
	get := func(id block.ID) *seen {
		if by[id] == nil {
			by[id] = &seen{}
		}
		return by[id]
	}
	for _, rec := range recs {
		for _, a := range rec {
			if a.Height < lo || a.Height > hi || a.Size < minSize {
				continue
			}
			s := get(a.ID)
			s.copies += a.Copies
			switch {
			case a.Produced:
			case a.First.IsZero() || a.CatchingUp:
				s.partial = true
			default:
				s.arrive = append(s.arrive, a.First.Sub(a.Timestamp))
			}
		}
	}
	var out propagationFigures
	var p50s, p100s []time.Duration
	copies := 0
	for _, rec := range recs {
		for _, a := range rec {
			s := by[a.ID]
			if s == nil || !a.Produced || s.partial || len(s.arrive) != n-1 || a.Size < minSize {
				continue
			}
			// Delays from the producer's finish time, not the header's
			// start time (building a large block takes a while).
			origin := a.First
			if a.Sent.After(origin) {
				origin = a.Sent // queued for the relay (gossipsub baseline)
			}
			shift := origin.Sub(a.Timestamp)
			d := make([]time.Duration, len(s.arrive))
			for k, x := range s.arrive {
				d[k] = max(x-shift, 0)
			}
			slices.Sort(d)
			p50s = append(p50s, d[(len(d)-1)/2])
			p100s = append(p100s, d[len(d)-1])
			copies += s.copies
			out.BlocksMeasured++
		}
	}
	if out.BlocksMeasured == 0 || n < 2 {
		return out
	}
	out.CopiesPerNode = float64(copies) / float64(out.BlocksMeasured) / float64(n-1)
	out.PropagationP50Ms = ms(medianDur(p50s))
	out.PropagationP100Ms = ms(medianDur(p100s))
	out.PropagationMaxMs = ms(slices.Max(p100s))
	return out
}

func medianDur(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
