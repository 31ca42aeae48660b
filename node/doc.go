// Package node assembles a blockwire node from the layers — link,
// blocksync, consensus (CFT or solo) and chain on one pebble database — and
// runs the drivers that feed the pure protocol cores with real links and
// real time. It also reads the configuration file (LoadConfig; the format
// and its rules are node/config's) and the genesis file (LoadGenesis; the
// format is chain/genesis's), sets up logging (Logs) and holds the
// accessors the admin API and metrics read.
//
// # Usage
//
//	cfg, err := node.LoadConfig("config.toml")   // or DefaultConfig() + SetDir
//	n, err := node.New(cfg)                       // genesis, key, pebble, chain
//	err = n.Start(ctx)                            // links, loop, raft
//	sub := n.Subscribe(64)                        // heads, irreversible blocks, peers
//	r, err := n.Submit(ctx, tx)                   // to the producer; returns when included
//	r, err = n.WaitTx(ctx, r.Hash, node.TxIrreversible)
//	st := n.Status(); peers := n.Peers(); cs := n.Consensus(); c := n.Counters()
//	err = n.Stop()
//
// Options replace parts: WithApp (your chain.App), WithNetwork or
// WithMemNetwork (the in-memory link network for tests; raft rides the
// routed transport over it as over libp2p), WithLogger, WithGenesis, WithKey, WithObserver (per-block
// propagation delays for metrics), WithLimits (mempool and submit bounds).
// `blockwire init` and `blockwire testnet` write node directories with
// InitNetwork.
//
// # The driver
//
// One goroutine, the loop, owns every piece of protocol state: the Chain
// (not safe for concurrent use), one blocksync.Conn per link, the engine's
// loop side, the mempool and the transaction index (chain/txpool).
// Everything else talks to it through channels: link.Handler callbacks
// forward messages into a buffered input channel (a full buffer
// back-pressures the lane that delivered the message), the engine's Host
// calls (engine.go) and API calls post closures and wait for them, the
// engine's decisions queue inside it and wake the loop (Signal: raft must
// never wait for the loop), and one timer fires at the earliest deadline of any
// Conn, the solo producer and outstanding transaction forwards. Sketch:
//
//	for {
//		timer.Reset(min(conn deadlines, next solo block, submit deadlines,
//		                retries, hand-off, watch sweep))
//		select {
//		case <-stop:      return
//		case x := <-in:   connected / receive / disconnected / call; a Conn
//		                  that got an input performs its Ready at once
//		case <-eng.Signal(): follow(eng.Drain(chain)) → pin, SetIrreversible
//		case <-timer.C:   conn.Tick + perform, produce (solo), expire and
//		                  retry submits, re-send watched transactions
//		}
//		settle()          // while the chain changed: ChainChanged on every
//		                  // Conn, then perform each
//		handOffMempool()  // a producer that is not the leader
//	}
//
//	perform(conn): rd := conn.Ready(); chain.Add each of rd.Blocks (a
//	refusal is logged with its reason and, if it is the peer's fault,
//	closes the link); send rd.Messages on their lanes; log rd.Penalties;
//	close the link on rd.Disconnect; conn.Advance(); mirror blocksync's
//	modes onto the link; remember rd.Deadline.
//
// Time: the node reads time.Now and arms ordinary timers; its tests run it
// (with hashicorp/raft) inside testing/synctest bubbles on virtual time, so
// no clock option is needed.
//
// # Consensus
//
// The node holds one consensus/engine.Engine (engine.go builds it from
// consensus.engine; node/ never branches on which): Start/Leave/Stop
// follow the node's role, Arrived and Drain return the chain changes the
// loop makes (Follow), Leader and Leading steer transaction forwarding.
//
// CFT (the default, engine.CFT): producers run consensus/cft's engine over the node's
// routed transport (consensus class, each link's consensus lane, any
// number of relays: producers need routes to each other, not links). When the engine leads it
// asks the loop for a block on the parent it names (the last committed
// block); the loop first applies queued commits, builds the block on that
// parent with transactions from the mempool (an uncommitted block of an
// earlier term above the parent, a crashed leader's last one, loses fork
// choice to the new term's block and is pruned by irreversibility; its
// transactions go back to a mempool, see "Leader changes"), syncs
// it to disk, hands it to every Conn, and only then returns its id for the
// raft log. A block is
// irreversible when its id is applied from the raft log and its body is
// stored (cft.Gate). Full nodes run no raft: they take the Irreversible
// field of each accepted header (the producer's view of the raft log) and
// feed the same gate. Solo: one producer, each block irreversible when
// made; for development.
//
// BFT (consensus.engine = "bft", engine.BFT): a producer runs a
// consensus/bftrun Runner (safety records in this pebble database, votes
// multicast on the consensus class); it asks the loop for its view's block
// on the parent the engine names (paced at block_interval after it, the
// newest finalization in the body), and the loop stores proposed blocks
// through the same checks as a peer's. Every producer takes transactions
// into its own mempool. Finality comes from bftrun.Finality only: the
// engine's finalizations on producers, and on every node the certificates
// in block bodies verified by a bftchain.Follower; header claims are not
// trusted. Producer-set changes start a joiner's runner in the joint epoch.
//
// Producer-set changes (prodset.go, driving the pure node/producers: the
// set in force looked up by key, peer id and routing id, and what a
// change retires or protects). The chain's App is wrapped: a change
// transaction (ChangeProducersTx, consensus/prodset's signed encoding) is
// run through prodset.Verify against the producer set and the last change
// nonce recorded in the state (ProducerSetKey and prodset.NonceKey;
// absent: the genesis set, nonce 0): the next nonce, a fit, and the
// signatures of a quorum of the set in force (or the App's prodset.Policy,
// or WithChangePolicy's). It writes the new set and nonce there, so the
// state root covers them, and refuses anything else with the prodset
// reason, so a block carrying an unauthorised change is refused ("bad-tx")
// by every node. Every node also runs the check on Submit and before
// relaying a submit (against its head state), and the leader on
// acceptance, so an unauthorised change stops where it enters. The set in force for a block is the one
// recorded after the block its header names irreversible (a change counts
// once its block is irreversible); blocks from a producer outside it are
// refused ("unknown-producer", with "removed from the producer set" for a
// genesis key a change removed) and the sending link is closed, and a
// header naming another set is refused ("bad-producer-set") when the node
// holds that block's state. When a change becomes irreversible on a node,
// the node adopts the set: link protection follows it, a node taken in
// starts its raft engine (the cft leader runs AddVoter/RemoveServer when
// the block commits; after a restart the set in force makes it a producer
// again whatever its config's role — and a removed producer a full node:
// the effective role, Role and Status().Role, is the set's), and a producer removed builds no more
// blocks (buildOn); a removed follower stops its engine at once, a
// removed leader keeps it until raft's configuration drops it (it runs
// its own RemoveServer and raft makes it step down); both then follow
// headers like a full node. A removed producer stays a routing destination
// until the next change, so raft reaches it with its removal.
// Consensus().Producers lists the set in force.
//
// One change at a time: the leader refuses a change while another is
// pending (in its mempool, in a best-chain block above the irreversible
// block, or committed but not yet in raft's configuration) with a
// *TxRejectedError matching ErrChangePending, so the submitter hears of a
// conflict at once. Each request carries the next change nonce, so removing
// a producer and adding it back are distinct transactions, and a change
// refused as pending must be signed again with the nonce after the one
// that won. A rejection is not final anywhere: the same
// bytes submitted again are checked again (the removed-leader hang was a
// valid change taken for the duplicate of an identical one refused
// earlier). Limit: a change refused only when the block is built (two in
// flight after a leader change handed a mempool over) is recorded on the
// leader only; the submitter's node learns it when it sends the
// transaction again (after 2 × SubmitAckTimeout pending).
//
// # Transactions
//
// Submit validates the transaction (KV decoding by default), then hands it
// to the leader: into the mempool when this node leads, otherwise by
// routed unicast (package transport, routing.go, submitroute.go) to the
// leader however many hops away, or to any producer it has a route to,
// which answers with the leader's name. The producer's answer (accepted,
// or rejected with a reason) comes back along the reverse path, so a full
// node needs neither a producer link nor a route of its own. A node with
// no route to any producer answers ErrNoProducer at once, and an
// unanswered submit fails with ErrProducerTimeout after
// Limits.SubmitAckTimeout (consensus.submit_ack_timeout), so a submit
// never hangs (psibase #785). A submit whose first hop's link closes
// before the answer is sent again, and one a producer answers "no
// producer" (an election in progress) is retried every 100 ms, both within
// Limits.SubmitAckTimeout. A node that takes office meanwhile accepts its
// own retries. Inclusion and irreversibility are observed locally as
// blocks arrive, on every node alike. Payloads and the attempt policy:
// transport/submit.
//
// Relays are bounded (issue 11): relaying is the transport's (bounded
// queues and reverse-path entries, no per-submit state in the node); every
// relay checks a transaction with the App's stateless validator before
// forwarding it and charges the neighbour that sent an invalid one. The
// submits this node awaits answers for are the pure node/relay.Table, a
// deadline heap: the loop's cost per iteration is O(log n) in them. What
// follows a finished submit (answer the caller, requeue a hand-off, send
// a watched one again) is transport/submit.Settle's decision.
//
// The reports (Status, PeerStatus, ConsensusStatus, Counters, the
// per-block arrivals of Propagation) are node/status's types; logging is
// node/logs.
//
// The sync signal (/status sync, best_peer_height) counts only verified
// peer heads: blocks this node holds, or Have headers a producer of the
// set in force signed (syncsignal.go, node/syncstate); "stalled" reports a
// head that stood still below them.
//
// Leader changes. An accepted transaction is in the leader's mempool, or
// in a block the leader made. Three mechanisms keep it (requeue.go):
//
//   - Hand-off: a producer that is not the leader forwards its mempool to
//     the leader, paced by Limits.Handoff (relay.Pacer, handoff.go) well
//     below the leader's inbound rate limit; what no leader takes (none elected yet, the leader
//     stepped down or died, no answer, its mempool full) comes back into
//     the pool and goes again, after 100 ms doubling up to 2 s.
//   - Orphans: a block a deposed leader made whose id raft never committed
//     loses to the next term's block at its height; when a fork switch
//     removes it from a producer's best chain, its transactions that the
//     new best chain lacks go back into that producer's mempool (the
//     leader builds them; the others hand them off). build skips a
//     transaction already in the chain it builds on, so the copies that
//     several producers re-queue are included once.
//   - Watch: the node where Submit was called keeps the transaction while
//     Submit (or a WaitTx after it) waits, and sends it again when a block
//     of a new term arrives, when its link to the leader closes, and after
//     2 × SubmitAckTimeout pending. Producers deduplicate by hash. If no
//     producer takes the re-sent transaction within SubmitAckTimeout (a
//     majority of producers down), the waiters get ErrNoProducer or
//     ErrProducerTimeout instead of waiting out SubmitTimeout; the outcome
//     is then unknown (a producer that comes back may still include it:
//     look it up with TxStatus before submitting again).
//
// SubmitOutcome classifies a failed submit for the caller: rejected (in
// no block), not-accepted (no producer acknowledged it; on a producer
// without a raft leader the detail says "no leader", not "no link"), or
// unknown (ErrOutcomeUnknown, ErrProducerTimeout, ErrTxTimeout: it may
// still be included). Submitting the same bytes again is safe in every
// case: producers deduplicate by hash.
//
// What is not covered: SubmitAsync does not watch, so a transaction only a
// crashed leader held is lost silently to such a caller (TxStatus stays
// pending or unknown); a Submit answered "included" by a block that is
// later orphaned relies on the producers' re-queue alone, which fails only
// if every producer that received that block is down (a leader's own
// Submits answered by the block it made the instant before it crashed,
// before the block left it: only its disk holds them, and they come back
// when it restarts, as the next term's chain orphans that block); a
// mempool that is
// full when orphans are re-queued drops them (counted as
// requeue-mempool-full).
//
// # Events
//
// Subscribe returns a channel of head, irreversible and peer events. The
// loop never waits for a subscriber: a full channel drops the event and
// counts it (Subscription.Dropped).
//
// # Shutdown order
//
// Stop (1) closes the CFT engine, which stops producing, transfers
// leadership if this node leads and shuts raft down, while the loop still
// answers its Producer and Applier; (2) stops the loop and the static-peer
// dialer (pending submits fail with ErrStopped); (3) closes the links;
// (4) closes pebble; (5) closes the log file. Kill skips the leadership
// transfer, as a crash would.
//
// # The caller's duties
//
//  1. Give every node of a chain the same genesis file, and each producer
//     its own key (the key in the genesis).
//  2. Configure static peers so that the network is connected: raft and
//     transactions ride routed unicast, so producers need a path to each
//     other, not a link.
//  3. Call Stop before exiting; a process killed instead recovers from
//     pebble on the next start (unsynced blocks are refetched from peers).
//  4. Do not read the chain's state except through Query (the loop owns
//     it).
package node
