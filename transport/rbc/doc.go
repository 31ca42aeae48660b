// Package rbc is blockwire's reliable broadcast (seed 002's
// QuorumConsensusBroadcastProtocol, done as Bracha's protocol): among a
// participant set of n with f = ⌊(n−1)/3⌋ byzantine, a message that one
// correct participant delivers is delivered by every correct participant,
// all deliver the same payload per instance, and a correct origin's
// payload is delivered by all. Delivery yields a Certificate — the
// payload digest with 2f+1 ready signatures — that anyone who knows the
// participant set can verify. It is for must-deliver control messages
// (producer-set changes and the like), not blocks: every echo carries the
// payload.
//
// A Core is the state machine of one participant, for every instance of
// every origin. It is pure: no goroutines, clock, I/O or global random
// source. Time arrives as the now argument of every input; outputs leave as
// data in a Ready batch (etcd raft's Ready/Advance): records to persist,
// records to forget, messages, deliveries and the next deadline.
//
// # Protocol
//
// An instance is (origin, seq): the origin's participant index and its
// sequence number, which grows across restarts (the origin's records and
// floor restore it).
//
//  1. SEND: Broadcast signs the origin's echo of the payload and sends it
//     to all. The origin's signed echo is Bracha's SEND.
//  2. ECHO: on the first echo signed by the origin, a participant checks
//     the payload (Config.ValidatePayload) and, once per instance, signs
//     and sends its own echo of the same payload.
//  3. READY: on EchoQuorum = ⌈(n+f+1)/2⌉ echoes, or ReadyAmplify = f+1
//     readies, for one digest, a participant signs a ready for it, once
//     per instance.
//  4. DELIVER: on DeliverQuorum = 2f+1 readies for a digest whose payload
//     it holds, it delivers, with a certificate of the first 2f+1 ready
//     signers.
//
// n=4: 3 / 2 / 3; n=7: 5 / 3 / 5; n=10: 7 / 4 / 7. Loss-free, that is 3
// message delays and (n−1) + (n−1)² + n(n−1) messages.
//
// Every echo and ready is an ed25519 signature by its participant over
// SignedBytes: a domain tag ("blockwire/rbc/echo/v1" or ".../ready/v1"),
// Config.Domain (the chain), the set's hash, origin, seq and the payload's
// sha256. Only distinct signers whose signature verifies count; an echo or
// ready travels from its signer (the link authenticates the sender), a
// certificate may be relayed by anyone and counts as its signers' readies.
// A second, different echo or ready by one signer is equivocation
// (penalized; the first one stays counted).
//
// Safety (agreement): two ready sets of correct participants for d ≠ d′
// would need two echo quorums, which share f+1 participants, one correct,
// and a correct participant echoes once. Amplification on f+1 readies
// needs a correct ready. Totality: a delivery saw 2f+1 readies, f+1 of
// them correct, which (retransmitted until the peer says it delivered)
// make every correct participant ready; then 2f+1 correct readies reach
// everyone. The payload travels in echoes and in certificates.
//
// # Durability: persist before send
//
// Ready.Persist holds a RecEcho (with the payload) before our echo leaves,
// a RecReady before our ready leaves, a RecDelivered (payload and
// certificate) with each delivery, and a RecFloor when an instance is
// collected. The driver makes them durable (fsync) before it sends
// Ready.Messages. New folds them back: a restarted participant resends the
// same echo and ready (ed25519 is deterministic) and never signs another
// digest in that instance; it never delivers an instance twice.
//
// # Retransmission, bounds and garbage collection
//
// Every message carries its sender's status in the instance (none,
// echoed, ready, delivered; unsigned: a liar only cuts itself off). After
// we sign in an instance we resend to every participant not known to have
// delivered — the echo to those not yet ready, the ready to the rest —
// after Config.RetransmitBase, doubling up to RetransmitMax, for at most
// RetransmitLimit rounds; from the second round on a delivered
// participant sends its certificate instead. In the loss-free case the
// first round only tells everyone we delivered (n(n−1) small readies in
// all: a participant that already heard of a peer's delivery skips it, and
// that peer's message is answered with our ready instead), and then the
// instance is quiet. Once delivered, a participant answers, at most once
// per RetransmitBase per peer, a peer that reports a lower status while
// our rounds have ended (with the certificate), and a delivered peer it
// never told, or that still sends its certificate (with its ready).
//
// State is bounded per peer: a message that would open an instance counts
// against the peer that sent it (Config.MaxOpenPerPeer), each signer's
// first echo is the only one kept (at most n+1 payloads per instance),
// and payloads are at most Config.MaxPayload. Instances are collected
// Config.Horizon after they opened; if we signed in one, its origin's
// floor rises to its seq (RecFloor) and later messages at or below the
// floor are refused as stale, so a collected instance is never reopened
// and signed again.
//
// # The driver's duties
//
//  1. Map authenticated link peers to participant indexes (Participants.
//     Index); refuse consensus-class traffic from anyone else.
//
//  2. Create the Core with New(cfg, store.Load(), now) and perform its
//     first Ready.
//
//  3. Feed every message from participant i to Receive(i, bytes, now);
//     score the sender when ReasonOf(err).Penalized().
//
//  4. Call Tick at or after the last Ready's Deadline.
//
//  5. After each input, if HasReady, perform Ready in the order its doc
//     gives (Persist synced, Forget, Messages, Delivered), then Advance.
//
//     for {
//     select {
//     case m := <-msgs:  err := c.Receive(m.from, m.b, now); score(m.from, err)
//     case r := <-reqs:  inst, err := c.Broadcast(r.payload, now); r.reply(inst, err)
//     case <-timer.C:    c.Tick(now)
//     }
//     if c.HasReady() {
//     rd := c.Ready()
//     store.Append(rd.Persist) // synced: before any message leaves
//     store.Forget(rd.Forget)
//     for _, o := range rd.Messages { multicast(o.To, o.Msg.AppendBinary(nil)) }
//     for _, d := range rd.Delivered { subscribers.publish(d) }
//     timer.Reset(rd.Deadline.Sub(now))
//     c.Advance()
//     }
//     }
//
// # Wire format (Version 1)
//
// One message per frame; integers big-endian. Header (13 bytes): version
// (1), type, status (0..3), origin u16, seq u64 (≥ 1). Decode is strict:
// unknown versions, types and statuses, wrong lengths, trailing bytes,
// bitmap bits beyond the set size are errors, and lengths are checked
// against the payload limit before allocation.
//
//	type 1 Echo   header signer u16 sig[64] payload_len u32 payload
//	type 2 Ready  header signer u16 digest[32] sig[64]          (111 bytes)
//	type 3 Cert   header payload_len u32 payload set_size u16
//	              bitmap[ceil(set_size/8)] sig[64] per set bit, ascending
//
// The digest of an echo or certificate is sha256(payload). A standalone
// certificate (records, APIs) is origin u16 seq u64 digest[32] then the
// signers as in a Cert. Forward compatibility: a new field or type changes
// Version; both ends agree at connection setup.
package rbc
