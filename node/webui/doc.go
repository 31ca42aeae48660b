// Package webui serves the live picture of a network in a browser (issue
// 20): a read-only page embedded in the binary (plain JavaScript and SVG,
// no build step) and the JSON/SSE API behind it, documented in
// docs/operations.md ("The live page").
//
// It is the driver around internal/netview's pure core:
//
//  1. A Source gathers one netview.Report per node: Local asks a node in
//     process (a node's own page: itself and its neighbourhood), Remote
//     asks every node's GET /ui/api/report over HTTP (blockwire testnet's
//     page for the whole network).
//  2. A Hub runs one goroutine while at least one client streams: every
//     Config.Interval it gathers the reports, steps the netview.View and
//     fans the delta out to every client.
//  3. Each client has a bounded queue; a client that falls behind loses
//     its queued frames (counted) and gets a fresh snapshot, so a slow
//     browser never slows the node or other clients.
//
// The driver loop, in short:
//
//	for each tick while clients > 0 {
//		reports := src.Reports(ctx)
//		frame := view.Step(now, reports)   // under the hub's lock
//		for each client { client.offer(frame) }  // never blocks
//	}
//
// node/admin mounts it on a node's admin server (Hub.Register), behind the
// admin token off loopback; node/ itself is untouched but for the
// per-producer tree modes it reports in node.PeerStatus.
package webui
