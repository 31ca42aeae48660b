package main

import (
	"context"
	"fmt"
	"io"

	"github.com/blockwire/blockwire/link/pexnet"
)

// This file is `blockwire testnet --seeds K` (issue 19 item 1): nodes
// start knowing only K seed nodes (node.SeedNodes: the last K) and find
// their peers by discovery; the summary reports, from every node's own
// GET /peers/book, the peer count it reached and how long it took.

// discoveryResult is what --seeds adds to testnetResult.
type discoveryResult struct {
	Seeds int `json:"seeds"`
	// Target is p2p.target_peers; AllReached says every node reached it
	// (ReachedMaxMs is the slowest, from its discovery start).
	Target       int             `json:"target_peers"`
	AllReached   bool            `json:"all_reached_target"`
	ReachedMaxMs int64           `json:"reached_target_max_ms"`
	PeersMin     int             `json:"peers_min"`
	PeersMax     int             `json:"peers_max"`
	Nodes        []discoveryNode `json:"per_node"`
}

// discoveryNode is one node's figures.
type discoveryNode struct {
	Node           string `json:"node"`
	Peers          int    `json:"peers"`
	Target         int    `json:"target_peers"`
	ReachedAfterMs int64  `json:"reached_target_after_ms"` // −1: not reached
	BookEntries    int    `json:"book_entries"`
	Verified       int    `json:"book_verified"`
	Shed           uint64 `json:"shed"`
	Penalties      uint64 `json:"penalties"`
	Error          string `json:"error,omitempty"`
}

// collectDiscovery reads every node's /peers/book.
func collectDiscovery(ctx context.Context, res *testnetResult, seeds int, names []string, clients []*adminClient) {
	d := &discoveryResult{Seeds: seeds, AllReached: true, PeersMin: int(^uint(0) >> 1)}
	for i, c := range clients {
		var snap pexnet.Snapshot
		dn := discoveryNode{Node: names[i], ReachedAfterMs: -1}
		if err := c.do(ctx, "GET", "/peers/book", nil, &snap, nil); err != nil {
			dn.Error = err.Error()
			d.AllReached = false
			d.Nodes = append(d.Nodes, dn)
			res.Problems = append(res.Problems, fmt.Sprintf("%s: /peers/book: %v", names[i], err))
			continue
		}
		dn.Peers, dn.Target, dn.ReachedAfterMs = snap.Peers, snap.Target, snap.ReachedAfterMs
		dn.BookEntries, dn.Verified = snap.Status.Entries, snap.Verified
		dn.Shed, dn.Penalties = snap.Stats.Shed, snap.Stats.Penalties
		d.Target = max(d.Target, snap.Target)
		d.PeersMin, d.PeersMax = min(d.PeersMin, snap.Peers), max(d.PeersMax, snap.Peers)
		d.ReachedMaxMs = max(d.ReachedMaxMs, snap.ReachedAfterMs)
		if snap.ReachedAfterMs < 0 || snap.Peers < snap.Target {
			d.AllReached = false
			res.Problems = append(res.Problems, fmt.Sprintf("%s has %d peers, target %d (reached once: %v)", names[i], snap.Peers, snap.Target, snap.ReachedAfterMs >= 0))
		}
		d.Nodes = append(d.Nodes, dn)
	}
	res.Discovery = d
}

func printDiscoverySummary(w io.Writer, d *discoveryResult) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "discovery\tfrom %d seeds: every node reached %d peers: %v (peers %d..%d, slowest in %d ms)\n",
		d.Seeds, d.Target, d.AllReached, d.PeersMin, d.PeersMax, d.ReachedMaxMs)
	for _, n := range d.Nodes {
		fmt.Fprintf(w, "\t%s: %d peers (target %d) reached after %d ms; book %d (%d verified), shed %d, penalties %d %s\n",
			n.Node, n.Peers, n.Target, n.ReachedAfterMs, n.BookEntries, n.Verified, n.Shed, n.Penalties, n.Error)
	}
}
