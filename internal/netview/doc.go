// Package netview turns what nodes report about themselves into the live
// picture the web UI draws (issue 20): nodes with role, head, irreversible
// height and leader; directed links with their mode, per-producer tree mode,
// RTT, queues and byte rates; routing tables; block propagation waves with
// each node's arrival time; and a consensus history (term, leader,
// irreversible height over time).
//
// It is a pure core: View is a plain struct driven by Step(now, reports),
// with time as an input and no goroutines, sockets or clocks, so the same
// code serves a single node's page (one report: the node and its
// neighbourhood) and a testnet's page (one report per node).
//
// # The stream
//
// Step returns a Frame of kind "delta": only what changed since the last
// Step, coalesced (a head that moved five times in one interval is sent
// once, with its last value). Snapshot returns a Frame of kind "snapshot":
// the whole picture, what a new client starts from. A client applies
// deltas to its snapshot in order (Model.Apply does it in Go, the page in
// JavaScript); a client that misses a delta must start again from a
// snapshot (the driver does this when it drops frames for a slow client).
//
// Every frame is bounded whatever the network's size:
//
//  1. Link statistics are quantized (RTT to 0.1 ms, byte rates to two
//     significant digits) so idle links do not change; at most
//     Config.MaxLinks changed links go out per frame, mode changes first,
//     then the longest-unsent. A deferred link is not lost: deltas are
//     computed against what was last sent, so it goes out in a later frame.
//  2. At most Config.MaxWaves blocks' new arrivals go out per frame (the
//     newest); older ones are dropped and counted in Frame.WavesDropped.
//  3. The consensus history keeps Config.History points.
//
// # Usage
//
// The driver (node/webui):
//
//  1. gathers one Report per node every interval (a node: in process; a
//     testnet: each node's GET /ui/api/report);
//  2. calls frame := v.Step(now, reports) and publishes the frame to every
//     client (SSE event "delta");
//  3. gives a new client v.Snapshot() first.
//
// View is not safe for concurrent use; the driver serialises calls.
package netview
