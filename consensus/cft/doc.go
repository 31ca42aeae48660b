// Package cft is blockwire's crash-fault-tolerant consensus: hashicorp/raft
// (v1.8.0) among the block producers. The raft leader is the block
// producer; the raft log orders block ids while block bodies travel through
// blocksync; a block is irreversible on a node once its id has been applied
// from the raft log and its body is in the node's block log.
//
// # Pieces
//
//   - Engine runs raft and, while this node leads, produces one block per
//     Config.ProduceInterval through the caller's Producer and appends the
//     block's id (with its parent id and header hash) to the raft log. Every
//     member applies the log through a small FSM and tells the caller's
//     Applier, in log order, which block ids are committed.
//   - Store and SnapshotStore keep raft's log, stable values (current term,
//     vote) and snapshots in the node's pebble database under KeyPrefix,
//     every write synced; raft wraps the Store in a LogCache.
//   - MsgTransport is raft's Transport over a Messenger (Deps.Messenger):
//     routed unicast on the transport's consensus class in a node, so
//     producers need no direct links to each other and raft rides the
//     link's priority scheduler. One request and one response message per
//     RPC (rpc ids), per-RPC timeouts derived from the raft config,
//     AppendEntries split to fit MaxPayload, InstallSnapshot in acked
//     chunks; wire format in msgwire.go and docs/protocol.md §6.5. MemNet
//     is the in-memory messenger twin (latency, loss, cuts, relay paths)
//     the cluster tests run on.
//   - Deps.Stream still takes any raft.StreamLayer (raft's own
//     NetworkTransport behind the guard); MemNetwork is an in-memory stream
//     layer with latency and cuts for tests on virtual time, and cftbench
//     keeps a libp2p stream layer of its own. The node uses the messenger
//     only; a raft server id and address are both the peer id string
//     (ServerAddress).
//   - The guard (rule in authz.go) admits raft traffic only from an
//     authenticated producer (Membership), and each request only if its
//     RPC header names that producer. On messages it runs per message in
//     MsgTransport.handle (msgserve.go) on the messenger's authenticated
//     origin; on streams guard.go sits between NetworkTransport and the
//     stream layer. Refusals are RefusedErrors, counted in Status.Refused
//     and reported to Deps.Refused, which the node charges to the peer.
//   - Gate and FromHeader are pure helpers for the chain layer: when a
//     committed block becomes irreversible (body present), and what a
//     non-producer learns from a header's Irreversible field.
//   - Change is a producer-set change as raft carries it out (the signed
//     chain transaction that requests it is consensus/prodset's); cftbench
//     measures the engine over real libp2p.
//
// # Usage: the caller's duties
//
//  1. Open the node's pebble database (shared with the chain layer; this
//     package writes only under KeyPrefix) and the carrier raft rides (the
//     node's routed transport).
//  2. Give raft a carrier: Deps.Messenger (the routed transport's
//     consensus-class adapter, transport.Transport.Messenger(
//     route.ClassConsensus); the engine does not own it), or Deps.Stream (a
//     raft.StreamLayer the engine owns).
//  3. Fill a Config from DefaultConfig: LocalID = ServerAddress(host.ID()),
//     Genesis = the block CFT starts from, Bootstrap = the initial producer
//     set, identical on every initial producer (ignored once the database
//     holds raft state; a producer added later passes none).
//  4. Implement Producer: build a block on req.Parent with req.Term as the
//     header's Term and req.Irreversible as its Irreversible field, store it
//     (synced, chain.Sync), hand the body to blocksync, and return its id,
//     header hash and the producer-set changes its transactions make. Right after a leader
//     change the chain's best head can be a deposed leader's block whose id
//     never reached the raft log. If the head descends from req.Parent, the
//     producer may build on the head and list the blocks in between in
//     Produced.Via: the engine re-proposes them first. Otherwise, and
//     always when req.NoVia is set, it must build on req.Parent itself
//     (chain.ProduceParams.Parent; the new block's higher term wins fork
//     choice). node.Node always builds on req.Parent and never re-proposes.
//  5. Implement Applier: for each Commit call Gate.Committed, and when the
//     gate moves call the chain's SetIrreversible; fetch Gate.Missing through
//     blocksync; call Gate.Arrived for every body the block log stores.
//     Ignore commits at or below the irreversible height (raft replays its
//     log after a restart). Never call back into the Engine from Commit.
//  6. New(cfg, deps). Read Status for metrics and the admin API.
//  7. Non-producers run no Engine: for every accepted header, FromHeader
//     gives the block the producer had committed; feed it to a Gate.
//  8. Shut down in this order: Engine.Close (stops producing, hands
//     leadership to another producer if this node leads, shuts raft down,
//     closes the transport and stream layer, detaches the store), then close
//     the pebble database, then the libp2p host. Closing the database before
//     the engine races raft's heartbeat handler into a closed store
//     (hashicorp/raft issue #717).
//
// # Safety: why no two nodes hold different irreversible blocks at a height
//
// Raft gives every member the same sequence of committed log entries. The
// FSM applies a block entry only if its parent is the last committed block
// (fsmState.Last) and ignores it otherwise; that rule reads nothing but the
// log, so every member makes the same decision for every entry. Committed
// blocks therefore form one parent-linked chain with one block per height,
// the same on every member, each member holding a prefix of it (members
// that are behind hold a shorter prefix). Irreversibility is "applied and
// body present", so every node's irreversible chain is a prefix of that one
// chain. A non-producer adopts the Irreversible field of a producer's header,
// which names a block that producer had applied from the log: the same
// chain again (producers are trusted under CFT: crash faults only).
//
// Raft's guarantee rests on election safety (one leader per term), which
// rests on each member voting at most once per term and never letting its
// term go backwards. Both are persisted by Store before raft acts on them
// (synced pebble writes), so they survive crashes and restarts. psibase's
// CFT keeps term and vote in memory only: a producer that restarts can vote
// a second time in a term and help elect two leaders in it, and two leaders
// in one term can commit different blocks at one height.
//
// # What raft guarantees, and what it does not
//
// hashicorp/raft gives every member the same committed log, provided every
// party that speaks raft is a member that follows the protocol (crash
// faults only). It does not authenticate anyone: NetworkTransport believes
// the RPC header, so any peer that can open a raft stream can claim to be
// a leader of any term, make followers adopt its term (the real leader
// steps down), append and commit entries, install a snapshot, or order an
// election with TimeoutNow. Raft itself ignores RequestVote from a server
// outside its configuration, and nothing else.
//
// So authority comes from outside raft, in two layers:
//
//  1. The guard admits raft traffic only from producers, each speaking as
//     itself (authenticated peer id = RPC header ID = Addr; see
//     Membership for who counts as a producer while the set changes). A
//     producer is trusted to run raft correctly (CFT: crash faults only).
//  2. The FSM applies what raft commits only if it is well formed and
//     extends the last committed block (the parent rule below), and, with
//     Config.ServerOf set (the node sets it), only if the entry carries
//     the block's signed header, the signature is valid, the header's
//     term is not above the entry's raft term, and the signer is a voter
//     of the configuration in force (fsm_authz.go). Entries it refuses
//     are refused by every member alike, because the rules read nothing
//     but the log. What the log cannot tell is who led the entry's term:
//     raft does not record who appended an entry, and a new leader
//     re-proposes its predecessors' blocks (Produced.Via), so a producer
//     in force could still get a block it signed committed in another
//     producer's term.
//
// A re-proposed block the FSM refuses is never offered again on the same
// parent. Without that rule the chain could halt: a leader L disseminates
// block X and is cut off before X's id reaches the log; before a new
// leader re-proposes X, L is removed (say the new leader's Produce failed
// on its first tick, and driveChanges ran the pending removal in the same
// step); from then on X is refused (its signer is no voter), the new
// leader leaves office, takes it again on the same committed block, and
// its producer, whose best head is still X, offers X through Via again,
// forever (TestWithChainRefusedReproposalDoesNotHalt: 499 refusals in ten
// virtual seconds, irreversibility stuck, before the rule). So when an
// entry of the engine comes back ErrUnauthorizedEntry, the engine logs the
// refusal once with its reason, remembers the committed block it was
// proposed on, and every office on that block asks the producer for a
// block on the parent itself (ProduceRequest.NoVia; a Produced with Via is
// then skipped). The new block's term is above X's, so it wins fork
// choice and irreversibility prunes X. Safety is untouched: the FSM's
// decision is still a function of the log alone; the rule only changes
// what this leader proposes.
//
// Neither layer makes raft Byzantine fault tolerant: a producer's own
// node, if compromised, can still disrupt or rewrite what raft commits.
// That is the BFT engine's job (DESIGN.md §7).
//
// # Leadership, Barrier, and Apply with an unknown outcome
//
// Raft signals leadership before the new leader has applied the entries it
// inherited, so the engine issues a Barrier on taking office and only then
// reads the last committed block as the parent of its first block. While in
// office it builds each block on the one it produced before. Two nodes can
// both believe they lead for up to LeaderLeaseTimeout; only the one with a
// quorum commits, and the other's entries are either overwritten by raft or
// ignored by the parent rule.
//
// An Apply that fails (raft.ErrLeadershipLost in particular) has an unknown
// outcome: the entry may still be committed by the next leader, or never.
// The engine leaves office at once and, if it still or again leads, takes
// office anew behind a fresh Barrier, building on whatever the log actually
// committed. If the entry committed, it is the parent of the next block; if
// not, another block takes its height, and the orphan was never applied
// anywhere, so never irreversible. Blocks built on an orphan are rejected
// by the parent rule on every node alike. TestUnknownOutcomeApply drives
// both outcomes. A new leader may also re-propose such an orphan whose body
// it holds (Produced.Via): the entries still extend the last committed
// block one parent link at a time, so the same rule covers them.
//
// # Producer-set changes
//
// A change is a chain transaction (consensus/prodset: signed by a quorum of
// the producers in force, checked by the chain's App). The producer lists the
// changes of each block it builds; when that block's entry is applied (the
// block is committed, hence irreversible once its body is present) the FSM
// queues them. The leader carries out the head of the queue with raft's
// AddVoter or RemoveServer, and the FSM drops it when a committed raft
// configuration reflects it, so a change interrupted by a leader change is
// redone by the next leader and every member agrees on the queue. Raft
// changes one server at a time (any two majorities of consecutive
// configurations overlap), not by joint consensus; DESIGN.md §7's joint
// consensus applies to the BFT engine. A removed producer keeps running as
// a non-member (ShutdownOnRemove is off) and may be added back. A leader
// that removes itself commits the new configuration, then raft makes it
// step down and the others elect a leader (Status.PendingChanges shows
// what is still to be carried out). The transaction carries a nonce
// (the change's sequence number): two requests for the same change are two
// transactions. Order and conflicts between changes are the caller's
// rule: the node (node/prodset.go) accepts one pending change at a time
// and checks each against the set the one before left; it is tested end to
// end there, including removing the leader, removing and adding back, and
// restarting an added producer.
//
// # Timing
//
// Defaults are a LAN setting: 100 ms heartbeat and election timeouts, a 50 ms
// lease, 5 ms commit timeout, 500 ms blocks. Validate enforces a 50 ms floor
// on the three timeouts, election ≥ heartbeat ≥ lease, and a 10 ms floor on
// the block interval. Failover takes about 1–3 heartbeat timeouts; a planned
// hand-off (Close, TransferLeadership) a few milliseconds. See docs/benchmarks.md.
//
// # Implementation notes
//
// MsgTransport offers no AppendEntries pipeline
// (raft.ErrPipelineReplicationNotSupported): raft then sends one
// AppendEntries at a time per follower, batching what accumulated, which
// BenchmarkRaftCommit measured no slower than raft's pipeline over streams
// (docs/benchmarks.md), and it avoids the pipeline hang below. A message
// lost on the way is an RPC error after the RPC's timeout: raft retries,
// so loss costs latency, never liveness (TestMsgClusterCommitsWithLoss).
//
// Raft's AppendEntries pipelining is off on streams too (NetworkTransport
// MaxRPCsInFlight 1): with the default, a follower's newer-term or failed answer can leave
// one pipelined send parked forever, which halts replication to that
// follower while heartbeats go on and makes raft.Shutdown hang (seen here on
// a leadership hand-off; grafana/pyroscope#5518 reports the same). Close
// signals raft's shutdown and closes the transport before waiting for raft's
// goroutines, so none of them waits out an RPC deadline on a dead peer.
//
// # Testing on virtual time
//
// hashicorp/raft runs unmodified inside a testing/synctest bubble on
// MemNet (messages, delivered by time.AfterFunc) and on MemNetwork
// (streams): its timers are ordinary time.After/time.NewTimer, its
// goroutines block on channels, and both networks use only channels,
// mutexes and timers, so a bubble advances virtual time whenever raft is idle.
// Requirements found on the way: create the network, the pebble databases
// and the engines inside the bubble (goroutines and channels belong to the
// bubble that created them); close every engine and database before the
// bubble ends, and let the stream layer close its connections on Close
// (raft's NetworkTransport does not close accepted connections, and a
// goroutine reading one forever would deadlock the bubble). Pebble on a
// real directory works: its file I/O is not durably blocking, so virtual
// time simply does not advance during a sync. libp2p itself is not run in
// a bubble; the libp2p tests (cftbench) run on real time on loopback, with
// timeouts and no timing assertions.
package cft
