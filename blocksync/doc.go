// Package blocksync is seed 003's block broadcast: the per-connection,
// hello-based fork sync and block streaming, with a self-repairing spanning
// tree of active links per producer.
//
// A Conn is the state machine of one peer connection. It is pure: no
// goroutines, clocks, I/O or random source. Time arrives as the now argument
// of every input, and outputs leave as data in a Ready batch (etcd raft's
// Ready/Advance pattern): messages to send, each on a lane; received blocks
// for the node to validate and insert; tied messages received; penalties; a
// disconnect with its reason; the next deadline. The local chain is read
// through the small Chain interface (a forkdb.Tree plus the block log).
//
// # Protocol flow
//
// Start. On connect each side sends its locator in one burst: hellos naming
// its head (Head flag), the best-chain blocks 1, 2, 4, 8, ... below it, and
// its irreversible block (Committed flag), which ends the locator. No hello
// waits for a reply. Each hello means "I have this block and its
// ancestors"; the receiver keeps the highest block of its best chain that
// some hello proves the peer has (sent), and answers the committed hello
// with one Common hello naming the highest block of the peer's locator it
// has: the locator of a node far ahead names only blocks the node behind
// lacks, and without the answer the node behind would stream its whole
// chain back. Having received both the peer's locator and its answer, the
// Conn is Ready: 3+⌈log2(head−irreversible)⌉ hellos per side at most. A
// committed hello that conflicts with our irreversible chain (or ours with
// theirs) disconnects with ReasonIrreversibleFork. A body received in Start
// moves the Conn to Ready at once (the peer found a common block first).
// The locator brackets the fork point within a factor of two of the distance
// to the head, so the peer may resend up to that many blocks we already
// hold; they are harmless duplicates (they do not prune).
//
// Seed 003's "what if": we fork away while our hellos are in flight. Our
// hellos stay true, since a fork database keeps losing forks until
// irreversibility prunes them, so the peer's bodies built on them are
// accepted; if irreversibility pruned them meanwhile, they arrive as orphans
// and are dropped as stale, without penalty. Either way the Have of our new
// head follows, and the peer's sent only ever names blocks we had, so no
// Start-again transition is needed.
//
// Ready. The Conn tracks sent (the highest block of our best chain the peer
// has; psibase's last_sent) and the peer's tips (up to 8 heads it reported;
// psibase's single last_received forgets a fork the peer switched away from,
// and its blocks would later be echoed back). It only sends the immediate
// child, on our best chain, of sent, so the peer always knows the parent;
// after a local fork switch sent falls back to its common ancestor with the
// new best chain (the old sent is kept as a tip) and the new fork follows in
// order. Everything the peer tells us (hellos, Haves, bodies) raises sent, so
// a block is never echoed to a peer that sent or announced it. Bodies stream
// on the blocks lane with no per-block round trip: a body starts while fewer
// than the allowance of bytes are unacknowledged, and the receiver
// acknowledges cumulatively every quarter allowance. The allowance starts at
// SlowStartBytes and grows by every acknowledged byte up to the window
// (the peer's advertised one clamped to ours): a peer earns its window by
// acknowledging, and one that never does costs at most SlowStartBytes (or a
// quarter of it plus one body larger than the rest).
//
// Announcements. Whenever our head or irreversible block changes, we send a
// Have (header plus our irreversible id) unless the peer knows we have the
// head (it sent it to us, or we just sent it). It is the lazy push over
// backup links; on every link it stops the peer from sending us what we
// have, lets a peer stuck behind one producer's block push the next
// producer's, and reports our irreversible block.
//
// Tree (Plumtree). Each link's outgoing mode is kept per producer: active
// pushes bodies, backup only announces, off (manual, SetMode) never sends a
// body. Links start in Config.Mode (active: flood, then prune). A duplicate
// of our head (the tip racing down two paths) asks its sender to Prune the
// link to backup for the block's producer; older duplicates (the tail of a
// pull, locator overshoot) do not prune. A link that announces a block we
// lack (a head, or an irreversible block) arms a timer of Config.GraftDelay,
// restarted whenever our head advances (the active path is alive, perhaps
// catching up); when it fires and the block is still missing we send Graft:
// the peer turns the link active for that producer and pushes its best chain
// up to the wanted height, whatever the producers (the pull). Since every
// Conn of a node decides alone, a dead tree path makes each backup link graft
// once; the duplicates that follow prune all but the fastest.
//
// Slow is not dead (Version 2). Before each body a sender says Coming (id and
// size) on the sync lane, which shares the link's bulk path with the blocks
// lane chunk by chunk and so arrives long before a large body. A Chain that
// implements InboundChain shares one Inbound table among a node's Conns: a
// graft that falls due while some link's peer is sending a body above our
// head waits, re-checked every GraftDelay/4, for at most Config.GraftHold.
// Each Coming holds for the longer of GraftDelay and twice its sender's
// recent Coming-to-body time. A Conn that closes (its link died) drops its
// entries at once, so a dead parent is still grafted around within
// GraftDelay; a parent that stalls alive, within GraftDelay + GraftHold. On
// real processes most duplicates in steady state were pulls around paths
// that were slow, not dead (a relay pushing 1 MiB to six children over one
// 100 Mbit/s uplink finishes the last ~500 ms after it started).
//
// Forwarding before executing. A relay's node executes a body before it is
// on the relay's chain, and executing 1 MiB costs tens of milliseconds per
// hop. A Chain that implements Verifier has every new body checked on
// receipt for what needs no execution: the producer's signature, its
// authority to sign at that height, and the body against the header's
// transaction root. A body that fails is forged or altered: the sender is
// penalized and disconnected (ReasonInvalidBody) and the body goes nowhere.
// A body that passes goes to Ready.Blocks, and the driver offers it to its
// other Conns with Forward before adding it; a Conn sends it at once if the
// pump would send it right after the add (its parent is our head and the
// peer's sent, the tree pushes that producer here, the window is open),
// at most one body per height. Rule for a body that passed the Verifier but
// fails execution (a bad transaction, state root or irreversible field):
// the fault is the signer's, never the relay's, since a correct relay may
// have forwarded it before executing it; a receiver refuses and blacklists
// it, reports its producer, and does not penalize the link it came over
// unless that link's peer is the signer.
// Unsigned or forged bodies are never forwarded, so that rule gives a
// relay no cover for inventing content.
//
// Announcement budget. Hellos and Haves cost chain lookups on the driver's
// goroutine: a Conn takes at most Config.AnnounceRate per second (bursts of
// Config.AnnounceBurst) and drops the excess with one ReasonFlood penalty
// per overflow. Lookups of a block a peer names check heights first; the
// Chain's Header must not read a block body (a node keeps a header index).
//
// Tied messages. SendAfter holds a message (a consensus vote) until the peer
// is known to have its block: sent on the blocks lane right behind the body
// when we send it, or on the sync lane once the peer announced the block.
//
// # The driver's duties
//
//  1. Create one Conn per connection with New(cfg, chain, now) and perform
//     its first Ready (the locator).
//  2. Feed every message from the peer with Step (decoded values, as the
//     simulator does) or Receive (raw frames), tagged with its lane.
//  3. Insert (or reject) the blocks of each Ready into the fork database
//     before the next input to any Conn of the node; after every change of
//     the local chain (insert, fork switch, irreversible block), call
//     ChainChanged on every Conn of the node.
//  4. Call Tick at or after the last Ready's Deadline.
//  5. After each input, if HasReady, take Ready and perform it in the order
//     its doc gives (blocks to the node, tied payloads, messages, penalties,
//     disconnect, deadline), then call Advance.
//
// A driver loop, sketched:
//
//	for {
//		select {
//		case f := <-frames:    conn.Receive(now, f.lane, f.data)
//		case <-chainEvents:    conn.ChainChanged(now)
//		case <-timer.C:        conn.Tick(now)
//		}
//		if conn.HasReady() || deadlineChanged {
//			rd := conn.Ready()
//			for _, b := range rd.Blocks { node.Add(b) } // then ChainChanged on all conns
//			for _, m := range rd.Messages { link.Send(m.Lane, m.Msg) }
//			if rd.Disconnect != nil { link.Close(rd.Disconnect) }
//			timer.Reset(rd.Deadline)
//			conn.Advance()
//		}
//	}
//
// Each lane must be reliable and FIFO (a stream); lanes are not ordered
// with each other. A lost message breaks the Conn's knowledge of the peer:
// model loss as retransmission delay, or close both Conns and start new
// ones.
//
// # Safety
//
// Seed 003's invariant is that a block sent by a correct node is never
// rejected by another correct node. A Conn sends a body only if (1) it is on
// our best chain, so we validated it; (2) it is the child of sent, which the
// peer has, so its parent is known; (3) it is above the peer's irreversible
// block: align only moves sent to the peer's irreversible block when that
// block is on our best chain, and pump stops at any height at or below it
// otherwise, so we never offer a block that conflicts with the peer's
// irreversible chain. Bodies in flight when the receiver's irreversible
// block advances past their fork arrive as orphans: the receiver drops them
// as stale without penalty. The receiver penalizes an unknown parent only if
// its height exceeds everything it ever told the peer it has or received
// from it (maxTold), which a correct peer cannot do. Peer input never panics:
// every fault is an *Error with a Reason. FuzzConn checks (1)-(3) against an
// independent record of what the peer showed, after every input of random
// sequences.
//
// Never echo holds while the peer reports at most 8 distinct forks we cannot
// place (ids we lack, not linked to a known tip by a parent); beyond that the
// oldest tip is forgotten and a block of its fork may be sent back once,
// which costs bandwidth, not safety.
//
// Liveness: while messages arrive, sent only grows along our best chain
// (except on fork switches, which rewind it to a block the peer has), the
// window reopens on every quarter-allowance ack, and a Have announces every new
// head, so a peer that lacks our irreversible block receives it unless its
// irreversible chain conflicts with ours, which disconnects.
//
// # Wire format (Version 2)
//
// One link frame carries one message: a version byte (1), a type byte, and
// the body. Integers are big-endian; ids and keys are 32 bytes. Decode is
// strict: unknown versions, types and flag bits, wrong lengths and trailing
// bytes are errors, and lengths are checked against Limits before allocation.
//
//	type 1 Hello  (39 bytes)  id[32] flags[1] (bit0 head, bit1 committed, bit2 common) window u32
//	type 2 Have   (315 bytes) irreversible id[32] signed header (block.SignedHeaderSize)
//	type 3 Block  (variable)  the block's encoding (block.Block.AppendEncoding)
//	type 4 Ack    (10 bytes)  cumulative bytes of Block messages received u64
//	type 5 Prune  (34 bytes)  producer key[32]
//	type 6 Graft  (66 bytes)  producer key[32] wanted block id[32]
//	type 7 Tied   (34+n)      block id[32] payload[n] (n <= Limits.MaxPayload)
//	type 8 Coming (38 bytes)  block id[32] body size u32 (new in Version 2)
//
// Version 2 added Coming; a Version 1 peer's messages are refused with
// ReasonVersion, so a network upgrades all its nodes together.
//
// Forward compatibility: a new field or message type changes Version; a
// Conn disconnects on a version it does not speak (ReasonVersion), so both
// sides must agree at connection setup (the link layer's protocol id).
package blocksync
