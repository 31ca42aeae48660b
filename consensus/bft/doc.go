// Package bft is blockwire's byzantine-fault-tolerant consensus engine: a
// pure state machine in the Simplex family (Chan & Pass 2023; commonware's
// simplex), for n = 3f+1 producers of which at most f are byzantine.
//
// # Protocol
//
// Time is divided into views 1, 2, 3, ...; view v has one leader,
// Set.Leader(v), round-robin over the producer set. A producer is in one
// view at a time and only moves forward.
//
//  1. Propose. On entering view v the leader builds a block on the parent
//     the rule below allows and broadcasts it with its own notarize vote (its
//     proposal). Block header Term = v.
//  2. Notarize. A producer in view v that has not voted notarize or
//     nullify in v votes notarize for the first block of v's leader whose
//     parent is valid: the parent p is the last final block (the root), or a
//     block of a view above the root and below v that is notarized or
//     reported (below), and every view strictly between p's and v is
//     nullified and not held (below).
//  3. ⌊2n/3⌋+1 notarize votes for one block make a notarization. A producer
//     that sees it (formed from votes, or relayed) moves to view v+1 and,
//     unless it nullified v, votes finalize for that block.
//  4. Nullify. If no valid proposal arrived within LeaderTimeout of
//     entering v, or v has not ended within AdvanceTimeout, the producer
//     votes nullify(v), reporting the block it notarized in v (zero for
//     none). A quorum of nullify votes is a nullification, which also moves
//     everyone to v+1. There is no other view-change sub-protocol: the next
//     leader builds on the highest notarized block, skipping nullified
//     views that are not held.
//  5. Finalize. A quorum of finalize votes is a finalization: the block and
//     all its ancestors are final.
//  6. Fast path. Notarize votes for one block from every producer of a
//     plain set are a fast finalization: final at once (the notarization
//     with a full signer bitmap is its certificate).
//
// Reports: a nullified view whose nullify reports (every report each
// signer signed, gathered from the votes and every nullification we
// verified, and relayed whole by retries) name one block at least f+1
// times is held (no proposal may skip it), and that block is reported:
// a usable parent like a notarized block (at least one correct producer
// notarized it, so its body exists; Ready.Reported asks the driver to fetch
// and pin it). f counts the report group: the set when plain, the old set
// while joint (reports.go).
//
// Latency at n = 3f+1 with all producers correct and one-way delay δ: the
// proposal reaches everyone at δ, notarize votes at 2δ (the next leader
// proposes then: a block every 2δ), and all n of them make the block final
// at 2δ after the proposal (the fast path; the harness measures exactly
// 2.00δ). With any producer silent or split, finalize votes at 3δ make it
// final 3δ after the proposal (Simplex's bound; measured 3.00δ).
//
// Skipping silent leaders: a leader we have received no vote from for more
// than SkipAfterViews views is nullified as soon as we enter its view
// (commonware's skip_timeout), so a crashed producer costs about one
// round trip per turn instead of LeaderTimeout.
//
// Retries: when a view times out, and every RetryInterval after, a producer
// rebroadcasts its votes in the view together with its justification: the
// finalization of its root and, below its view, the nullifications down to
// the highest notarization (or its own votes in a view whose certificate it
// lacks, which a restart loses). This repairs loss and healed partitions:
// a producer that missed one certificate could otherwise never accept a
// proposal built on it.
//
// # Safety argument
//
// A correct producer (i) votes notarize for at most one block per view,
// (ii) never votes both nullify and finalize in one view, and (iii) votes
// notarize only for a block with a valid parent (step 2).
//
// Two quorums of ⌊2n/3⌋+1 share at least f+1 producers, so at least one
// correct one. By (i), at most one block per view is notarized. Suppose B
// is finalized in view v. Its finalize quorum holds f+1 correct producers
// that, by (ii), never nullify v, so v has no nullification (that too needs
// a correct one among them). Any notarized block B' of a view w > v has,
// by (iii) applied by the correct members of its quorum, a parent chain
// whose views between consecutive blocks are all nullified; the chain
// cannot jump over v (v is not nullified), so it passes through v's only
// notarized block, B. Every later notarized block, hence every later final
// block, extends B. So no two final blocks conflict.
//
// (i) and (ii) must survive restarts: that is what safety records are for.
//
// # Safety of the fast path
//
// Add (iv): a correct producer never notarizes in a view after nullifying
// it (maybeNotarize and propose check it; sign panics), and its nullify
// vote reports the block it notarized in the view, or none (sign refuses
// any other report; the record keeps it, so retransmissions and restarts
// repeat it). And extend (iii): a valid parent may also be a reported
// block, and a held view may not be skipped.
//
// Suppose B of view v is fast-final: all n producers notarized it, so every
// correct producer notarized B in v and, by (i), nothing else in v.
//
//   - Every nullification of v has ≥ 2f+1 signers, of which ≥ f+1 are
//     correct and report B by (iv). So any producer holding a
//     nullification of v sees v held by B. A block B' ≠ B of v gathers at
//     most f reports (only byzantine signers report it), so it is never
//     reported, and it is never notarized (a quorum needs a correct
//     signer, and all of them notarized B). The only usable parent in v is
//     B, and no held view can be skipped.
//   - Claim: every block X of a view w > v that some correct producer
//     notarizes extends B. By induction on w: the correct producer checked
//     X's parent p. If p.View > v, p is notarized or reported, so some
//     correct producer notarized p, and p extends B by induction. If
//     p.View = v, p = B (above). If p.View < v (p may be the root only if
//     root.View < v), the chain skips v, which it may only if v is
//     nullified and not held: impossible, as shown.
//   - Any block finalized later — by f+1 correct finalize votes (each for a
//     notarized block) or by a fast finalization (all notarized) — was
//     notarized by a correct producer, so it extends B.
//
// Conversely, if B was finalized the ordinary way, the argument above still
// holds: v has no nullification, so nothing in v is reported, and a
// reported block of another view was notarized by a correct producer, which
// is all the induction uses. Two blocks of one view can both be named f+1
// times only when neither was fast-finalized; then the leader picks either
// (held lists the most named first) and voters accept any block their own
// evidence shows named f+1 times, so evidence that differs between
// producers never costs safety.
//
// A byzantine signer may sign several reports in one view; each counts for
// the block it names. The argument above only bounds a block B' ≠ B by its
// byzantine reporters (at most f, however many reports each signs) and
// needs B's f+1 correct ones, so it holds unchanged. Counting them all (not
// the first one heard) makes the evidence a union, independent of the
// order it arrived in, and retries relay it whole (evidenceCerts), also for
// views below the MaxRetryCerts walk (lowEvidence): that is what makes
// differing evidence cost views only until one retry after the network
// heals, not for ever (liveness; sim seed 581 stalled without it).
//
// The fast path is off under a joint set: while a change is in progress,
// the old set's engine may still fast-finalize in a view above the joint
// epoch's root; the joint epoch counts reports in the old group (a joint
// nullification holds a quorum of the old set, so f_old+1 correct old
// members report the block) and never fast-finalizes itself, which keeps
// one argument instead of one per combination of groups.
//
// # Safety records and persist before send
//
// Every signature that constrains a future one is recorded before the
// vote leaves the process: RecNotarized (the block; as leader, our
// proposal), RecNullified, RecFinalized, and RecRoot (a finalization, with
// its certificate). The rule is persist before send, not before sign
// (bft.md §4; aptos-core #18298, commonware #4374): Ready lists the records
// in Persist and the votes in Messages, and the driver syncs the former
// before it sends the latter. A crash between the two loses unsent votes
// only. A restarted producer hands all records to New, which folds them
// into the views they belong to: it re-sends the same votes (ed25519 is
// deterministic) and never signs against them. Records of views below a
// durable RecRoot are pruned (Ready.PruneBelow): the engine never signs in
// a view at or below its root, so nothing can contradict them (Ava Simplex
// #280 is the failure when a "timed out" flag is deleted and a rebroadcast
// path still signs). Records carry a CRC-32C: a torn last record is
// detected, and dropping it is safe because its vote was never sent.
//
// The proposal itself is covered by RecNotarized: the driver must send the
// block only with its notarize vote, after that Ready's Persist, so a
// restarted leader never proposes a second block for a view it proposed in.
// (A block without its vote is harmless: correct producers vote for one
// block per view whatever the leader sends; an equivocating leader only
// costs its view.)
//
// # Certificates
//
// A certificate is a quorum of individual ed25519 signatures with the
// signers as a bitmap over the set's index space: attributable (it is
// evidence against an equivocator; threshold signatures are not, bft.md
// §8), and verifiable by anyone holding the producer set, so blocks carry
// finalizations and a follower or light client checks finality from blocks
// alone. Certificate.Verify checks the shape (kind, view, a zero block only
// for nullify), the set size, that every signer is a member and appears
// once (strictly ascending), that the signers meet the quorum rule (both
// quorums for a joint set) and every signature over exactly the kind, view
// and block; a certificate is used only after Verify succeeded, entirely.
//
// # Bad input and bounded state
//
// Refusals are *Error values with a Reason (bad-signature, non-member,
// signer-mismatch, duplicate, equivocation, stale, view-too-far, no-quorum,
// wrong-set, not-leader, too-many-blocks, malformed, oversized, ...);
// Reason.Penalized says which a correct peer can never cause. Votes and
// blocks are accepted only for views above the root and at most ViewWindow
// ahead of ours; per view the engine keeps one notarize, one nullify and
// one finalize vote per signer and MaxBlocksPerView blocks, so a byzantine
// producer cannot grow memory by voting for many views or blocks.
// Certificates from any view are accepted (verified first): they need a
// quorum, and they are how a producer that fell behind catches up.
//
// # Producer-set changes (joint consensus)
//
// A Set is plain (one quorum) or joint (NewJointSet(prev, next)): while a
// change is not final every certificate needs ⌊2n/3⌋+1 of the old set AND
// of the new set, over one signer index space (the new set's keys, then
// the old set's leaving keys); leaders rotate over the new set. Every
// counting path (votes, certificates, view changes) uses the same rule, so
// no path forgets the joint producers (psibase #684). An engine runs
// under one Set; the driver (consensus/bftrun, with consensus/bftchain's
// epochs) runs one engine per epoch. Config.Prev names the previous
// epoch's set: Inherit accepts its notarizations and nullifications of
// views above the root (never its finalizations), so a vote made under
// the old set in a view the new set must also end cannot stall a set that
// needs every member (inherit.go has the safety argument).
//
// # Wire format (Version 2)
//
// Integers are big-endian; ids and keys are 32 bytes; decoding is strict
// (exactly one encoding per value, no trailing bytes) and never allocates
// more than the input's size.
//
//	vote:        0x02 0x01 kind(1) view(8) block(32) signer(2) sig(64)   = 109 bytes
//	certificate: 0x02 0x02 cert
//	cert:        kind(1) view(8) block(32) uvarint(setSize ≤ 1024)
//	             bitmap(⌈setSize/8⌉, bit i%8 of byte i/8 = signer i, no bits ≥ setSize)
//	             sig(64) per set bit, ascending signer order
//	             [nullify only] report(32) per set bit, same order
//	record:      0x02 kind(1) view(8) block(32) [cert, RecRoot only] crc32c(4)
//
// kind: 1 notarize, 2 nullify, 3 finalize. A vote signs
// "blockwire/bft/vote/v2" ‖ chain id(32) ‖ kind ‖ view(8) ‖ block(32), where
// a nullify's block is its report (zero: none; a nullification's own block
// is zero and each signature covers its signer's report); the chain id
// keeps votes from being replayed on another chain, and the domain tag
// keeps them apart from header signatures and from version 1 votes.
// Version 2 added the reports (the fast path); version 1 is refused
// (ReasonVersion). A future version adds a version byte value, never
// reinterprets this one.
//
// # The driver's duties
//
//  1. Create the engine with New(cfg, root, store.Load(), now): root is the
//     last block the node knows final (genesis: view 0).
//  2. Hand it every validated block of the producer set (AddBlock), every
//     consensus message with the authenticated producer that sent it (Step;
//     penalize on Reason.Penalized), and Tick at Ready.Deadline.
//  3. After each input, if HasReady, perform Ready in the order its doc
//     gives (persist and sync; prune; send; pin notarized; make finalized
//     irreversible; answer Propose), then Advance.
//  4. Fetch notarized, reported (Ready.Reported) and finalized blocks it
//     lacks (an equivocating leader may have shown it the other block) and
//     hand them over with AddBlock.
//
// A driver loop, sketched:
//
//	for {
//		select {
//		case m := <-consensusLane: err := eng.Step(now, m.from, m.msg); penalize(err)
//		case b := <-validatedBlocks: eng.AddBlock(now, b)
//		case <-timer.C:             eng.Tick(now)
//		}
//		for eng.HasReady() {
//			rd := eng.Ready()
//			store.Append(rd.Persist) // fsync
//			if rd.PruneBelow > 0 { store.PruneBelow(rd.PruneBelow) }
//			for _, m := range rd.Messages { multicast(m) }
//			pin(rd.Notarized); finalize(rd.Finalized)
//			timer.Reset(rd.Deadline)
//			eng.Advance()
//			if rd.Propose != nil { eng.Propose(now, build(rd.Propose)) }
//		}
//	}
//
// # Testing
//
// harness_test.go is etcd raft's in-test network made deterministic: one
// seeded event queue on virtual time, n ∈ {4, 7, 10} producers, f of them
// byzantine from the catalogue in actors_test.go (silent, nullify-only,
// equivocating leader, double voter, votes for unknown blocks, forger of
// signatures, impersonations, replays and tampered certificates, and the
// fast path's attacker "lie": an equivocating leader that withholds its
// other votes and lies in its nullify reports) or run as
// twins (two correct engines with one key), crash-restarts injected before
// the sync, after it and between sends (losing unsynced records), loss,
// partitions, jitter and δ ∈ {10, 50, 150} ms. The checkers compare nodes:
// no two final blocks at one height, each node's final blocks form one
// chain, no correct signer ever signs two notarize or finalize votes for
// different blocks in a view or nullify and finalize in one or nullify
// reporting other than what it notarized, every vote
// sent was covered by a durable record, and no correct peer is penalized.
// TestSweep runs 500 seeds (BFT_SEEDS for more, BFT_SEED to replay one);
// TestTwinsCampaign enumerates 96 Twins scenarios for n = 4 (each signer
// twinned, the twins on opposite sides of a partition, every placement of
// the others); broken_test.go proves the checkers fire on deliberately
// broken engines (no replay, no persist, a fast path on n−1 votes, and one
// that ignores nullify reports).
//
// # Drivers
//
// consensus/bftstore is the pebble-backed Store; consensus/bftrun the
// driver (the consensus lane through a Messenger, persist before send,
// proposals with their vote, admin Status); consensus/bftchain the chain
// side (epochs that switch the Set at a producer-set change, finalization
// certificates in later blocks' bodies, and a follower that verifies
// finality from blocks alone). consensus/engine adapts the runner to the
// node's one engine interface (consensus.engine = "bft"); sim --mode bft
// runs these engines with byzantine producers, twins and crashpoints.
package bft
