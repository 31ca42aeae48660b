// Package admin is a node's HTTP admin API: JSON status for operators and
// tools (`blockwire status`, `peers`, `blocks`, `tx`, the testnet's live
// view), Prometheus metrics and pprof.
//
// # Endpoints
//
//	GET  /status                 node.Status: head, irreversible, term, leader, role, peers, sync state
//	GET  /peers                  []node.PeerStatus: per peer id, direction, mode, lane queue bytes,
//	                             bytes in/out, RTT, uptime, score, ban, last disconnect reason
//	POST /peers/{id}/ban         {"duration":"10m","reason":"..."}: disconnect and refuse a peer
//	DELETE /peers/{id}/ban       lift a ban and reset the peer's score
//	GET  /consensus              node.ConsensusStatus (raft state on a CFT producer)
//	GET  /blocks/{ref}           a block by height or by 64-hex-digit id; ?txs=1 adds transactions in hex
//	GET  /blocks?from=H&limit=N  up to N (≤ 100) block headers from height H on the best chain
//	POST /tx                     {"tx":"<hex>"}, or for the key-value app {"set":{"k":"v"},"delete":["k"]};
//	                             "wait":"included" (default) or "irreversible"
//	GET  /tx/{hash}              what the node knows about a transaction
//	GET  /metrics                Prometheus metrics (see Metrics)
//	GET  /debug/pprof/...        Go's profiler, when enabled
//	GET  /healthz                200 while the node runs
//
// Every error is JSON {"error": "...", "reason": "..."} with a status that
// says whose fault it is: 400 for a malformed request (bad JSON, bad hex,
// unknown field), 404 for an unknown block, peer or transaction, 422 for a
// transaction the node refuses (with its reason), 503 when no producer is
// reachable or the node is stopping, 504 when a producer or a wait runs out
// of time.
//
// The server binds to loopback by default (node config admin.listen): it has
// no authentication, so expose it only behind something that has.
package admin
