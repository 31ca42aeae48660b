// Package bftrun is the driver of the BFT engine (consensus/bft): it runs
// one producer's engine with real time, persists its safety records before
// the votes they cover leave, carries votes, certificates and proposals
// between producers through a Messenger, asks the chain to build blocks
// (Producer), reports notarized and finalized blocks (Applier), and
// switches the producer set at the epochs consensus/bftchain defines. It
// is a driver, not a pure core: one goroutine, one timer, the store's
// fsyncs. The node runs one Runner on a BFT producer
// (consensus.engine = "bft"), as it runs a cft.Engine on a CFT producer.
//
// # Usage: the caller's duties
//
//  1. Open the store: bftstore.New(db) on the node's pebble database
//     (safety records under 0xF2 "bft/", the epoch under 0xF2 "bfe/").
//  2. Fill a Config from DefaultConfig: ChainID (the genesis id), the
//     producer key, Root = the last final block (its header's Term is its
//     view; genesis: view 0) and Producers = the set in force after it.
//  3. Implement Producer: build a block on req.Parent with Term = req.View,
//     Irreversible = req.Irreversible and Certificate = req.Certificate
//     (chain.ProduceParams), store and sync it, return it. The runner sends
//     it with its notarize vote once the vote's record is durable.
//  4. Implement Blocks: validate and store a proposed block (chain.Add);
//     wrap ErrInvalidBlock when it is the block's fault. Implement Sets:
//     the producer set in the chain's state after a block
//     (chain.StateAt + prodset.ReadSet), ErrUnknownBlock until stored.
//  5. Implement Applier: a notarized block is pinned (chain.Pin: it may
//     become final); a finalized one is made irreversible with its
//     ancestors (chain.SetIrreversible). Queue and return: never call back.
//  6. Give the runner, with AddBlock, every block of a producer the node
//     stored by another path (blocksync, a fetch), and charge peers that
//     Deps.Refused names. Read Status for /consensus and metrics.
//  7. Stop the runner before closing the database. Err says why a runner
//     stopped by itself (a store that cannot sync: it must not vote).
//
// # The loop and persist before send
//
// One goroutine owns the engine. It waits on the inbound queue (the
// messenger's handler only enqueues), blocks the node stored, the engine's
// deadline, and a one-second retry of a pending epoch switch; after each
// input it performs every Ready batch in bft.Ready's order:
//
//  1. Store.Append(rd.Persist): synced (bftstore commits with pebble.Sync).
//     If it fails the runner stops (Err) without sending anything.
//  2. Store.PruneBelow(rd.PruneBelow), after the RecRoot that allows it is
//     durable (it was in this or an earlier Persist).
//  3. Multicast rd.Messages to the epoch's producers. Our notarize vote for
//     our own proposal leaves as a proposal envelope with the block: a
//     restarted leader can never send a second block for a view it
//     proposed in, because the record of the first is durable before the
//     first block leaves.
//  4. Applier.Commit for each notarization, then each finalization.
//  5. Advance; answer rd.Propose through the Producer; switch the epoch if
//     a finalization moved the producer set (below).
//
// A crash between 1 and 3 loses unsent votes only: the restarted engine
// replays the records and re-sends the same votes (ed25519 is
// deterministic). TestCrashBetweenPersistAndSend crashes there;
// the checker of every cluster test fails any vote that leaves before its
// record is durable or any signer that signs twice in a view.
//
// # Wire format (Version 1)
//
//	envelope: version(1) = 1 ‖ type(1) ‖ epoch tag(32) ‖ body
//	type 1:   a bft message (vote or certificate; consensus/bft's format)
//	type 2:   a proposal: the leader's notarize vote (109 bytes) ‖ the block
//	          (chain/block encoding), the vote naming the block's id and
//	          Term as its view
//
// Decoding is strict; refusals are *bft.Error values (malformed,
// unknown-version, oversized, signer-mismatch, non-member); the penalized
// ones go to Deps.Refused. Messages of another epoch are not errors: a
// peer in an epoch we left gets the finalization that ended it (at most
// once per Config.EpochReplyInterval), which moves it on.
//
// # Producer-set changes (epochs)
//
// The runner runs one engine per bftchain.Epoch. When a finalization of
// the current epoch makes a block final, it asks Sets for the set in force
// after that block and applies Epoch.Successor: a plain epoch S whose
// final state says X becomes joint(X, S) (both quorums), and a joint
// epoch ends at its first finalization in plain X. The new epoch is saved
// (synced) before its engine exists, records at or below its root are
// dropped, and the records above it are handed to the new engine: a vote
// made under the old epoch in a later view still binds. A producer not in
// the new epoch's set stops signing (Status.Member false). See bftchain's
// package doc for the safety argument. The new engine also inherits the
// old engine's notarizations and nullifications above its root, and its
// blocks there (bft.Engine.Inherit, Config.Prev = the old epoch's set),
// and sends inherited certificates in an envelope of the old epoch's tag;
// one received so is inherited too. Without it a producer that voted
// finalize under the old set in such a view stalls a joint set that needs
// every member (2 → 3).
//
// Finality is the node's Applier: commits queue for the node's loop, and
// a bftchain.Follower fed every stored block follows the certificates in
// block bodies (how full nodes learn finality). The finalization of the
// block this producer proposed last is marked Commit.Ours; Finality.Publish
// hands its certificate to the node to broadcast to every node at once,
// and Finality.Certified feeds such a certificate to the follower, so full
// nodes learn finality about a hop after the producers rather than when a
// later block carries it (~2 block intervals).
//
// A producer that joins is started by its node once the set in force
// after its final block names it, with Config.Prev = the set that change
// replaced: it starts in the joint epoch the others are in (a joint quorum
// may need it: 2 → 3 producers needs all three). If they left that epoch
// already, its first messages reach them as messages of a past epoch,
// they answer with the finalization that ended it, and it follows.
//
// # Testing
//
// MemNetwork is the in-memory twin of the transport's consensus class
// (latency, loss, partitions, a send hook); the cluster tests run real
// Runners on it with the production store (bftstore on pebble on a
// crash-cloneable in-memory file system) under testing/synctest, and
// check across nodes: one final block per height, no double signing
// across restarts, no vote before its record.
package bftrun
