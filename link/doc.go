// Package link is blockwire's link layer: message-oriented connections to
// peers, each with independent lanes, over a go-libp2p host (TCP and QUIC,
// TLS or Noise, yamux) or over an in-memory network for tests and the
// simulator. The libp2p peer id, derived from the node's ed25519 key, is
// the node's identity.
//
// # Usage
//
//	cfg := link.DefaultConfig()
//	cfg.KeyFile = "/var/lib/blockwire/node.key"   // created 0600 if missing
//	cfg.StaticPeers = []string{"/ip4/10.0.0.2/tcp/9000/p2p/12D3KooW..."}
//	cfg.Logger = logger                            // zero value: silent
//	h, err := link.New(cfg, handler)               // handler implements link.Handler
//	...
//	l := h.Link(peerID)                            // or from handler.Connected
//	err = l.Send(link.LaneConsensus, vote)         // never blocks, never drops
//	err = l.SendWait(ctx, link.LaneBlocks, block)  // waits for queue space
//	l.SetMode(link.ModeBackup)                     // blocksync's decision
//	h.Close()
//
// Tests and the simulator use the same engine without sockets:
//
//	n, _ := link.NewMemNetwork(link.MemConfig{Latency: 5 * time.Millisecond, Bandwidth: 100 << 20})
//	a, _ := n.NewHost(idA, link.DefaultConnConfig(), handlerA, zerolog.Logger{})
//	b, _ := n.NewHost(idB, link.DefaultConnConfig(), handlerB, zerolog.Logger{})
//	l, _ := a.Connect(ctx, peer.AddrInfo{ID: idB})
//
// Both *Host and *MemHost implement Network; every Link behaves the same
// (package linktest is the conformance suite both pass).
//
// # Caller duties
//
//  1. Implement Handler. Connected, Receive and Disconnected for one link
//     come in that order; Receive runs on one goroutine per lane (the
//     lane's reader for consensus and routing, its delivery goroutine for
//     blocks and sync), in the order sent, so a slow Receive back-pressures
//     only that lane of that peer. Hand work to your own goroutine if it
//     may block, above all on LaneConsensus.
//  2. Do not modify a slice after passing it to Send; the link writes it
//     out without copying. Messages given to Receive are yours for good:
//     keep or alias them as you like (the link never reuses a delivered
//     buffer; it recycles only the buffers an incomplete message grows
//     through, bufpool.go).
//  3. On LaneRouting, LaneBlocks and LaneSync, handle ErrQueueFull (the
//     message was dropped and counted) or use SendWait. On LaneConsensus
//     Send never drops: beyond ConsensusQueueBytes the link is closed with
//     ReasonConsensusBacklog instead, because a peer that does not read our
//     votes is dead to consensus.
//  4. Close every Host or MemHost; under testing/synctest close them before
//     the bubble ends.
//  5. Call Close(cause) on a link to end it with a reason the peer sees;
//     use Ban for peers that must stay away.
//
// # Lanes and scheduling
//
// A link carries NumLanes long-lived streams, one per lane: consensus,
// routing, blocks, sync. On libp2p (ConnConfig.BulkConn, the default) it
// holds two connections to the peer: consensus and routing on the link's
// connection, blocks and sync on a bulk connection of their own
// (bulkconn.go), so that no block byte ever sits in front of a vote in a
// shared muxer send queue, TCP socket buffer or QUIC congestion window,
// and a TCP link's bulk window (BulkConnWindow) can be raised for a WAN
// without delaying votes. (Its default is 128 KiB, growing within a
// message up to BulkWindowMax; at 1 MiB the lane's system calls per MiB
// match a raw libp2p stream's, but a larger window made the faster bulk
// flow take the CPU from votes on a loaded 2-vCPU host, config.go and
// docs/benchmarks.md.) Why a connection and not finer credit:
// session 3 and branch link14 measured that on one connection the window
// trades the vote's tail for throughput — 128 KiB kept the loaded p99 near
// the floor at a quarter of the raw stream's rate, a larger window raised
// the rate and put its bytes ahead of votes in the socket buffers — and
// an adaptive (LEDBAT-style) window found no usable delay signal on a
// loaded host. A second connection removes the trade: the consensus
// connection's queues hold only consensus bytes. Why not QUIC streams with
// separate flow control: quic-go already gives every stream its own flow
// control, yet one connection shares one congestion window and send
// queue, which is where QUIC votes waited (loaded p99 3× the floor). On
// QUIC the two connections also get UDP sockets of their own on both
// ends (quicbulk.go): libp2p dials from its listening socket, so a vote's
// packet used to wait in one socket's receive queue behind a window of
// block packets; a QUIC host now listens on a bulk port too
// (Config.QUICBulkListenAddrs, advertised by identify) and dials bulk
// connections from a socket of its own, falling back to the link's
// address for a peer without one. The muxer (yamux or QUIC) keeps
// the streams independent on the receiving side; on the sending side a
// priority scheduler above the muxer orders control frames first, then
// consensus, then routing (strict priority), on one writer goroutine, and
// blocks and sync alternating chunk by chunk on a second one. Messages are
// written in chunks of at most ConnConfig.ChunkSize. A vote never waits
// for a block at the scheduler: the two paths are separate streams written
// by separate goroutines, so a bulk write blocked in the muxer (a full
// stream window or socket buffer) does not hold consensus back.
//
// Bytes already handed to the muxer cannot be overtaken, so the blocks and
// sync lanes are flow-controlled with credits: the sender may have at most
// one bulk window in flight (written but not yet released to the
// receiver's application): ConnConfig.BulkConnWindow with a bulk
// connection; without one (BulkConn off, its dial failed, or in memory)
// BulkWindow on TCP and in memory, QUICBulkWindow on QUIC, whose credit
// round trip is longer. On a shared connection that bounds the block bytes
// queued ahead of a vote anywhere below the scheduler (muxer queue, socket
// buffers, receive buffers) to about one window; with a bulk connection
// the window bounds only the receiver's memory and the sender's rate.
// Credits are returned as bytes are read while nothing waits for delivery,
// not per message, so blocks are pipelined with no per-message
// acknowledgement (a 64 MiB block streams through a 128 KiB window).
// With a bulk connection the receiver's window grows within a message
// (issue 14, session 10; credit.go): a 128 KiB window carried one window
// per ~1 ms credit round trip on a loaded loopback, a quarter of a raw
// stream's rate, so the window doubles while the peer moves it faster
// than BulkTuneDelay, up to BulkWindowMax — but the credit beyond the
// configured window never reaches past the end of the message being
// read, so when a block ends the sender holds no more credit for the next
// one than before (the bodies a sender commits ahead of a Prune do not
// grow).
//
// The receiver's reader never stops draining a bulk lane: completed
// messages wait in the lane's inbox for its delivery goroutine, and bytes
// read while one waits are withheld from credit until the inbox is empty
// (inbox.go). A slow consumer therefore stops the credits of its lane
// only, with the muxer drained, so the sender's writer never blocks in the
// muxer on it, whatever the window: windows of many MiB for WAN links are
// safe. The receiver holds at most one window plus the message in Receive
// per bulk lane. Consensus and routing are not credit-controlled: they are
// small and bounded by the inbound rate limits and the muxer's own window.
//
// # Queues and drops
//
// Each link queues at most SendQueueBytes per non-consensus lane and
// ConsensusQueueBytes for consensus. Every dropped message is counted in
// LaneStats.Drops under a DropReason: queue_full, mode_off, closed (queued
// when the link ended), rate_limited (inbound, over InboundMsgRate),
// resource (inbound: the resource manager refused memory for a message of
// 1 MiB or more for StallTimeout, which ends the link with ReasonResource;
// reserve.go), budget (outbound: the node-wide ConnConfig.QueueBudget is
// spent; budget.go) and sim_loss (in-memory loss model).
//
// # Hostile peers (issue 11)
//
// A received message's memory is allocated and reserved as its bytes
// arrive, never for the size its header announces (reserve.go); a peer
// that starts a message and stops sending, or stops granting credit while
// we have blocks queued, is ended with ReasonStalled and charged
// (stall.go); bytes queued over all links are bounded by QueueBudget
// (budget.go); producers and static peers are never charged for floods,
// and producers are never banned by scoring (protect.go); what a host
// remembers about unlinked peers is bounded (prune.go). docs/operations.md
// ("Resource budgets and attacks") lists the budgets and how an operator
// sees each defence. Stats and Network.Peers expose queue
// depths in bytes, bytes and messages per lane and direction, smoothed RTT
// (from PING/PONG on the consensus lane), uptime, direction, score, ban and
// the last disconnect reason.
//
// # Duplicates
//
// At most one link per peer is up. When two connections to the same peer
// exist (simultaneous dials, reconnects), both ends keep the same one: the
// connection dialed by the lower peer id; if the same side dialed both, the
// one whose "dialer address>listener address" key sorts lower. The other
// ends with ReasonDuplicate. On libp2p the link is bound to its connection:
// the dialer opens the consensus and routing streams on that very
// connection, and the bulk streams on the bulk connection it dials for
// this link alone; the bulk connection is closed with the link.
// Stats.Conn and Stats.BulkConn name both (the admin API's /peers).
//
// # Peer manager, limits, bans
//
// Static peers are kept connected with capped exponential backoff and
// jitter drawn from Config.Rand. MaxInbound (enforced by the connection
// gater) and MaxOutbound (enforced by Connect) exempt static and protected
// peers; the connection manager's high watermark is their sum and the
// resource manager's system connection limit sits above it (limits.go).
// Protected peers (producers) are never trimmed. Peer faults cost score:
// decode errors, oversized frames, unknown lanes, protocol violations and
// (per dropped message) floods; at -BanThreshold the peer is banned for
// BanDuration, disconnected with ReasonBanned and refused by the gater.
// Faults above the link (an invalid block) are charged by the application
// with Network.Penalize (ReasonInvalid). Operators use Ban and Unban. A
// BanStore (Config.BanStore, or UseBanStore) keeps bans across restarts;
// the link package itself holds no database. A ban that hits a connection
// still opening its lanes is recorded as the peer's last disconnect. A
// connection the connection manager trims ends with ReasonTrimmed (trim.go).
// Optional mDNS finds peers on a local network.
//
// # Wire format (version WireVersion = 3)
//
// Every lane stream uses libp2p protocol ProtocolID "/blockwire/link/3"
// and is opened by the side that dialed the connection. It starts with a
// 12-byte preamble:
//
//	'B' 'W' version(1 byte) lane(1 byte) | link id (8 bytes, big-endian)
//
// The link id is the dialer's random choice, the same on the four lanes
// of one link: the listener binds streams by (authenticated peer, link
// id), consensus and routing on one connection and blocks and sync on one
// (the same or the bulk connection). On the consensus lane (opened first)
// the dialer's preamble is followed by its 32-byte chain id
// (Config.ChainID, the genesis block id), and the listener answers on that
// stream, before any frame, with a 4-byte preamble and its chain id:
//
//	dialer → listener   'B' 'W' 3 0 | link id (8) | chain id (32 bytes)
//	listener → dialer   'B' 'W' 3 0 | chain id (32 bytes)
//
// The dialer opens the other lanes only after the answer. Both sides
// compare the ids; on a mismatch neither starts a link: the peer is
// recorded and logged once with ReasonWrongChain ("wrong-chain: theirs
// <hex>, ours <hex>"), the listener closes the connection after a grace
// period, and the peer manager redials such a static peer only every 10
// minutes (chainid.go). Version 1 had no chain id, version 2 no link id
// (all four lanes on one connection).
//
// Then frames, in both directions:
//
//	type (1 byte) | length (uvarint) | payload (length bytes)
//
//	type  name    lanes        payload
//	0x01  MSG     any          one application message, length ≤ MaxMessage[lane]
//	0x02  CREDIT  consensus    lane (1 byte, blocks or sync) | grant (uvarint > 0)
//	0x03  PING    consensus    8-byte nonce
//	0x04  PONG    consensus    the PING's nonce
//	0x05  GOAWAY  consensus    reason code (1 byte) | detail (UTF-8, ≤ 200 bytes)
//
// The length is checked against the lane's limit before any allocation,
// and large messages are allocated as their bytes arrive. Control frames
// travel on the consensus stream (never inside a message) so that credits
// cannot be stuck behind a block going the other way. Each side grants
// its bulk window of credit per bulk lane at start, then more as it
// releases bytes to its application (at least a quarter window at a time;
// with a bulk connection up to BulkWindowMax within one message);
// the bytes of MSG frames (header included) on a bulk lane count against
// credit. The window is the receiver's choice; a sender only obeys it.
// Outstanding credit above 2^40 is a protocol violation. GOAWAY carries
// the Reason for closing; the sender then half-closes its streams and
// waits briefly for the peer to close. At most one PONG is owed at a
// time (a newer PING replaces an unsent PONG's nonce), and PINGs beyond
// 20/s are shed and charged as floods (control.go).
//
// Compatibility: a peer with another version byte is refused with
// ReasonProtocol. Unknown frame types and lane ids are errors, not
// extension points: any change to frames or lanes bumps WireVersion (and
// ProtocolID), and a node that must talk to older peers registers both.
// Reason codes are append-only.
//
// # Bytes per byte (issue 14)
//
// A lane should cost about what a raw libp2p stream costs per byte. The
// sender hands each chunk to the muxer in one Write (header and payload
// together) of at most ChunkSize, whose default is one yamux frame, so a
// chunk is one frame, one TLS record train, no stray 12-byte frame. The
// receiver reads a payload from bufio's already-buffered bytes and then
// straight from the stream into the message's buffer (bufferedFirst,
// frame.go): one copy out of the muxer, as the raw stream. A large
// message's buffer grows ×4 as bytes arrive (reserve.go); the
// intermediate buffers come from a per-host pool and go back to it once
// copied (bufpool.go). Ownership: a buffer from the pool never leaves the
// lane's reader; the buffer handed to Receive is always freshly allocated
// and belongs to the application. BenchmarkLaneThroughput reports CPU,
// reads and writes per MiB for the lane and for a raw stream side by side.
//
// # Implementation notes
//
// The session protocol is a pure core, sessCore (core.go, core_recv.go,
// control.go, stall.go, credit.go, with the scheduler sched.go, the frame
// codec frame.go and the token bucket ratelimit.go): local sends, frame
// headers and bytes read, control frames, deliveries and timer ticks go
// in, with the time; writes to make, credit to grant, messages to
// deliver, faults to charge and the link's end come out. It does no I/O,
// starts no goroutine and reads no clock (internal/archtest checks these
// files), and FuzzSession drives two cores back to back through hostile
// frame sequences. session.go is its driver, shared by both
// implementations: two writer goroutines — one for the priority path
// (control frames, consensus, routing; it also owns the ping timer), one
// for the bulk lanes — so a vote never waits for a bulk write blocked in
// the muxer. Each event wakes only the writer that has work (a vote, a
// routing message, a PONG or a queued CREDIT frame the priority writer;
// blocks queued or credit received the bulk writer): the goroutine the
// runtime readied last runs first, so a needless bulk wake-up on every
// vote put the priority writer behind a flood's goroutines (issue 14,
// docs/benchmarks.md "link: QUIC lanes"). A bulk lane's reader or delivery goroutine may also write a
// CREDIT frame on the consensus stream when it is free, under a separate
// lock, to shorten the credit round trip; one reader per lane, one
// delivery goroutine per bulk lane (inbox.go), and one teardown
// goroutine. The core is under one mutex; scoring (score.go) is a pure
// structure the hub drives. hub.go holds what a host needs beyond one
// link: the link table,
// duplicate pruning, scores and bans. host.go/conns.go/gater.go/manager.go
// (and bulkconn.go, the bulk connection) are the libp2p side; mem.go/mempipe.go the in-memory side, whose pipes
// use only channels and timers so that they run on virtual time.
//
// libp2p logs through process-wide slog loggers (gologshim); logging.go
// routes them into the zerolog Logger of every live Host. This is the one
// package-level state in link, forced by libp2p.
package link
