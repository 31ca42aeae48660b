// Package admin is a node's HTTP admin API: JSON status for operators and
// tools (`blockwire status`, `peers`, `blocks`, `tx`, the testnet's live
// view), Prometheus metrics and pprof.
//
// # Endpoints
//
//	GET  /status                 StatusView: node.Status (head, irreversible, term, leader, role, peers,
//	                             sync state) plus head_age and the binary's version
//	GET  /peers                  []node.PeerStatus: per peer id, direction, mode, lane queue bytes,
//	                             bytes in/out, RTT, uptime, score, ban, last disconnect reason
//	GET  /peers/book             pexnet.Snapshot: peer discovery's address book (target, when reached,
//	                             entries with source and verification, the last drops with reasons)
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
//	GET  /healthz                200 while the node runs (liveness)
//	GET  /ui/                    the live network page (node/webui); GET /events its SSE stream,
//	                             GET /ui/api/{report,snapshot,stats} its JSON (docs/operations.md)
//	GET  /readyz                 200 when ready; 503 with every reason when isolated (0 peers), a
//	                             producer sees no raft leader, or the head is older than
//	                             ReadyMaxHeadAge (readiness: take the node out of rotation)
//
// Every error is JSON {"error": "...", "reason": "..."} with a status that
// says whose fault it is: 400 for a malformed request (bad JSON, bad hex,
// unknown field), 404 for an unknown block, peer or transaction, 422 for a
// transaction the node refuses (with its reason), 503 when no producer is
// reachable or the node is stopping, 504 when a producer or a wait runs out
// of time.
//
// A failed POST /tx answers SubmitError: also the transaction's hash and
// its outcome (rejected, not-accepted, or unknown when a producer may still
// include it); submitting the same bytes again is always safe.
//
// # Authentication
//
// On a loopback address (the default, and all init writes) nothing is
// checked. On any other address (Start decides with node.LoopbackListen)
// every request that is not a GET or HEAD, and every pprof request, needs
// "Authorization: Bearer <Config.Token>" (the node's admin.token_file) and
// gets 401 {"reason":"unauthorized"} without it; Start refuses such an
// address without a token. Reads stay open so monitoring needs no secret,
// except the web UI (/ui/, /events): an open stream holds resources on the
// node. A browser gets the token into an HttpOnly cookie by opening
// /ui/?token=<token> once; the cookie authorizes the UI's reads only.
// The token travels in clear HTTP: on an untrusted network put TLS in
// front (a reverse proxy) or keep the API on loopback and use SSH.
package admin
