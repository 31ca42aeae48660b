// Package attest collects signed verifications of irreversible blocks
// from verifier nodes, level by level, on a durable schedule: seed 000's
// Dragonchain "broadcast processor" rebuilt as pure cores. The Scheduler
// is the requester's side; the Verifier is a verifier node's side. Both are
// plain state machines driven by inputs with time as an input; their
// outputs are data (Ready, VerifierReady) that a driver performs.
//
// # Protocol
//
// Levels are configured in ascending Number order (Dragonchain: 2, 3, 4, 5
// with 3, 1, 1, 1 required verifications in production). For each block
// the scheduler works on one level at a time:
//
//  1. Select. The verifiers that announced the level and match its labels
//     are ranked by rendezvous hashing over (block id, level, key) and then
//     reordered so each operator's best verifier comes before any
//     operator's second (Directory.Ranked). Any node holding the same
//     directory recomputes the ranking, so who was asked and who replaced
//     whom can be audited. Fewer qualifying verifiers than Required stalls
//     the block at once ("L3: 0 verifiers qualify, 1 required").
//  2. Ask. The first Required verifiers get a Request with an absolute
//     deadline (now + Level.Deadline) carrying the lower level's Required
//     verifications (none at the first level).
//  3. Verify. A verifier checks the request: its level, the deadline
//     (refused "late" once passed: the requester has moved on), at the
//     first level the block against its own view of the chain
//     (VerifierConfig.CheckBlock), at higher levels exactly LowerRequired
//     distinct, valid lower verifications. It signs a Verification — ed25519
//     over "blockwire/attest/verification/v1" ‖ chain id ‖ block id ‖ level
//     ‖ the digest of the lower verifications (Digest) — and sends a
//     Receipt. It re-sends the receipt every ResendInterval until the
//     requester acknowledges it (any verdict), at most MaxResends times
//     (Dragonchain sent it once: a lost receipt cost a replacement).
//  4. Count. The scheduler counts distinct, valid verifications from
//     verifiers it asked at the block's current level, each answered with
//     an Ack "accepted". A verifier that missed its deadline still counts
//     while the level is incomplete.
//  5. Replace. At a request's deadline without a verification the ask is
//     marked missed and the next verifier of the ranking not yet asked gets
//     a request with the base deadline. When the ranking is exhausted, a
//     re-ask round asks every verifier that missed again, doubling the
//     deadline per round (backoff, capped at MaxDeadline); after MaxRounds
//     re-ask rounds the block is marked stalled with a reason an operator
//     reads (Retry resumes it). Replacement rounds are bounded by the
//     number of qualifying verifiers, so a level finishes or stalls within
//     a computable time. Dragonchain replaced and re-broadcast every 35 s
//     forever.
//  6. Promote and finalize. With Required verifications the level is done
//     (its verifications sorted by verifier, its asked verifiers kept);
//     the next level starts at once. After the last level the block's
//     Proof (every level's verifications) is handed out in Ready.Finalized
//     and its state dropped. A Proof verifies on its own (Proof.Verify):
//     each level signs the digest of the one below.
//
// Refusals are never silent and never stored (Dragonchain stored the
// verification before its check and answered 200 either way). Every
// receipt gets an Ack with a Verdict: accepted, duplicate (already counted;
// the verifier stops re-sending), excess (asked, but the level or block is
// complete — a late answer after its replacement's), unasked, wrong-level,
// unknown-block (a verifier that signed another block), bad-signature,
// wrong-lower (a digest other than the one we sent), signer-mismatch (a
// receipt must come from its signer). Scheduler.Receipt returns the same
// reason as a typed *Error; Reason.Penalized says which a correct verifier
// can never cause.
//
// # Durability: persist before send
//
// The scheduler's State per block (level, asks with deadlines, the
// verifications received, the completed levels, the due time, the stall
// reason) is the durable record. Ready lists the changed states (Persist,
// with the previous due time so the store can move the schedule entry)
// and the finalizations; the driver writes them in one synced batch
// before it sends Ready.Messages. So a request is never sent before the
// ask is recorded (no verifier is asked twice without cause), and an Ack is
// never sent before the verification it accepts is recorded (the verifier
// stops re-sending once acknowledged). consensus/atteststore is that store
// on pebble: a time-ordered schedule (due → block, level) beside the states.
//
// After a restart New(cfg, dir, store.Load(), now) resumes: requests that
// were in flight — asked, unanswered, deadline not passed — are re-sent at
// once in the first Ready (the crash may have lost them or their receipts;
// the verifier answers with the same signature), and requests whose
// deadline passed while the node was down are replaced at the first Tick.
// The verifier persists nothing: signing twice is harmless (the same bytes
// under deterministic ed25519), and a receipt lost with a verifier crash
// costs one replacement.
//
// # Bounded state
//
// The scheduler holds at most MaxPending blocks (Add beyond refuses
// "full"), at most Required verifications per level, and remembers
// RecentFinalized finalized blocks to answer late receipts precisely;
// refused receipts leave nothing behind. A verifier holds at most MaxQueue
// unacknowledged receipts ("queue-full" beyond) for at most MaxResends
// re-sends. Decoders bound sizes before allocating (MaxMessageSize).
//
// # Wire format (Version 1)
//
// Integers are big-endian; ids, keys and digests 32 bytes; signatures 64;
// deadlines absolute Unix milliseconds. Decoding is strict: exactly one
// encoding per message, no trailing bytes; unknown versions are refused
// (ReasonVersion); a future version adds a version value, never
// reinterprets this one.
//
//	verification: block(32) level(1) lower(32) verifier(32) sig(64)      = 161 bytes
//	request:      0x01 0x01 block(32) level(1) deadline_ms(8) n(1 ≤ 64)
//	              n × verification (the lower level's: same block,
//	              strictly ascending verifier)
//	receipt:      0x01 0x02 verification                                 = 163 bytes
//	ack:          0x01 0x03 block(32) level(1) verifier(32) verdict(1)    = 68 bytes
//
// verdict: 0 accepted, 1 duplicate, 2 excess, 3 unasked, 4 wrong-level,
// 5 unknown-block, 6 bad-signature, 7 wrong-lower, 8 signer-mismatch.
// Digest(vs) = sha256("blockwire/attest/lower/v1" ‖ the verifications in
// ascending verifier order, 161 bytes each); the first level signs
// Digest(nil). Records (State.AppendBinary, Proof.AppendBinary) are
// documented in docs/protocol.md §13.
//
// # The driver's duties (node integration)
//
//  1. Build the Directory from verifier announcements (authenticated
//     routable nodes with a level and labels); rebuild and SetDirectory on
//     change.
//  2. Requester: New from the store's Load; Add every block that becomes
//     irreversible and, after a restart, every irreversible block that has
//     neither a state nor a proof; hand every Receipt to Scheduler.Receipt
//     with the authenticated sender (penalize on Reason.Penalized); Tick at
//     Ready.Deadline; perform each Ready in its documented order, then
//     Advance. Serve proofs and States/Status to operators; Retry on an
//     operator's request.
//     When the transport reports a request undeliverable (no route), call
//     Unreachable: the ask is marked missed and a replacement asked at
//     once instead of at the deadline.
//  3. Verifier: NewVerifier for the node's level; Request and Ack with the
//     authenticated requester; Tick at VerifierReady.Deadline; send
//     VerifierReady.Messages. A CheckBlock returns ErrNotYet for a block
//     its chain has not reached (verifiers learn irreversibility from the
//     next headers, a little after the requester): the request is held,
//     bounded by MaxQueue, until Recheck (call it when the chain advances)
//     finds the block or the request's deadline passes.
//  4. With attestation turned off, open neither side and load no state.
//
// A driver loop, sketched:
//
//	for {
//		select {
//		case m := <-consensusClass: err := sched.Receipt(now, m.from, m.receipt); penalize(err)
//		case id := <-irreversible:  sched.Add(now, id)
//		case <-timer.C:             sched.Tick(now)
//		}
//		for sched.HasReady() {
//			rd := sched.Ready()
//			store.Apply(&rd) // one synced batch
//			for _, m := range rd.Messages { unicast(m.To, m.Msg) }
//			report(rd.Finalized, rd.Stalled)
//			timer.Reset(rd.Deadline)
//			sched.Advance()
//		}
//	}
package attest
