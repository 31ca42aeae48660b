// Package broadcast is blockwire's broadcast core: seed 001's buffered
// digest cache (commonware broadcast::buffered) extended into a network
// broadcast that does not flood, with byte budgets, pull-on-miss and a
// validation hook.
//
// An Engine is the state machine of one node. It is pure: no goroutines,
// clock, I/O or global random source. Time arrives as the now argument of
// every input and outputs leave as data in a Ready batch (etcd raft's
// Ready/Advance): frames per peer with their lane, messages for the routing
// layer, deliveries, answers to waiters, penalties, and the next deadline.
//
// # The cache (seed 001, point by point)
//
//   - Broadcast stores the message under its digest, cached under our own
//     id (waking waiters for it), and sends it.
//   - Each peer has an LRU deque of the latest digests it sent us
//     (Config.DequeSize; a repeat moves to the front). A message is stored
//     once and reference-counted across deques; it is evicted when no deque
//     holds it.
//   - Subscribe(digest) is answered in the next Ready if the message is
//     cached, otherwise when it arrives (from any peer, whoever may keep it
//     resident); Get answers at once. Cancel drops a waiter whose requester
//     went away; WaiterTTL drops the ones nobody cancelled.
//   - Only peers of the latest primary set (SetPrimary) keep entries
//     resident; a new set evicts every other peer's deque at once. Until
//     the first SetPrimary nothing is cached, our own messages included.
//   - Stats count received, duplicate, ineligible, invalid, subscribe and
//     get outcomes as seed 001's metrics do, plus evictions by reason,
//     pulls, prunes and drops by reason.
//
// Beyond seed 001: byte budgets as well as counts. A deque may pin at most
// Config.PeerBytes (a message counts in every deque that holds it); the
// cache holds at most Config.CacheBytes (a message counts once); over it,
// the peer pinning the most bytes (the one furthest over its fair share)
// loses its oldest digest. A message larger than PeerBytes is delivered and
// relayed but not cached. The seen-set keeps digests and verdicts only,
// never bodies, expires them SeenTTL after they were last seen, and is
// bounded by MaxSeen; a message whose sequence time is older than MaxAge
// (SeenTTL covers it) is refused as stale, so forgetting a digest never
// delivers a message twice.
//
// # Network broadcast: Plumtree per origin
//
// Every link is eager for an origin until pruned: the first message of a
// new origin floods. A node that receives a duplicate by eager push sends
// Prune(origin) back and marks the link lazy for that origin both ways, so
// the links the first copies took form the origin's tree (the fastest
// paths), and later messages cost one body per node. Lazy links carry IHave
// (the digest), batched per peer per Ready. An announced digest whose body
// has not arrived after GraftTimeout is pulled from its first announcer
// with the graft flag, which also turns that link eager for the origin:
// the tree repairs itself where a push was lost or a relay died. A
// subscriber for an announced digest pulls at once (pull-on-miss).
//
// Pull limits (transport.md §4): at most MaxInflightPerPeer pulls at one
// peer; a pull unanswered after PullTimeout blames the peer
// (ReasonBrokenPromise: it announced what it does not serve) and the next
// announcer is asked; a peer that no longer holds the message answers
// Missing and the next is asked at once; after MaxPullTries, or with no
// announcer left, the digest is given up. At most MaxFetches digests are
// pending and MaxAnnouncedPerPeer per peer (more is ReasonAnnounceFlood). A
// reply or Missing we did not ask for is ReasonUnsolicited. Serving reads
// the cache only: each (peer, digest) at most MaxServes times per SeenTTL,
// and per peer a token bucket of ServeRate bytes per second (burst
// ServeBurst); more is ReasonPullFlood.
//
// Recipients: All (the tree), Peers (direct peers, never relayed) or
// Routed (the driver carries the signed frame over transport/route:
// unicast to one node, multicast to the producers; receivers pass it to
// ReceiveRouted and never relay it).
//
// # Validation
//
// Each topic (Config.Topics) has a size limit and a Validator, run once per
// message per node after the cheap checks (topic, size, seen-set, age) and
// the signature, and before anything is cached, delivered or forwarded:
// Accept caches, delivers and forwards; Ignore drops; Reject drops and
// penalizes the sender (and any peer that sends it again); Defer holds it in
// a queue bounded by MaxDeferred, DeferBytes and DeferTTL until Revalidate.
// The verdict is kept in the seen-set, so copies from other peers (or a
// routed copy) are never validated again.
//
// Messages are signed by their origin: the digest is sha256 over
// "blockwire/broadcast/v1" ‖ topic ‖ origin ‖ seq ‖ payload and the origin
// signs the digest (ed25519), so relays can neither alter nor forge them,
// and validators authorise by the authenticated origin, never the last
// hop. A sequence number is max(last+1, now_ms<<16): it carries its send
// time (the stale check) and grows across restarts.
//
// # The driver's duties
//
//  1. Create the Engine with New(cfg, now) and call SetPrimary with the
//     latest primary peer set before any other input (seed 001's biased
//     select: the peer set before the mailbox); call it again on every
//     change.
//
//  2. On every new connection call AddLink; when it closes, RemoveLink.
//
//  3. Feed every broadcast frame from a peer to Receive, and every routed
//     broadcast (the payload of the route class the driver reserves for
//     it) to ReceiveRouted, with the time.
//
//  4. Application calls map to Broadcast, Subscribe (Cancel when the
//     caller's context ends), Get and Revalidate (when a validator's
//     dependency arrives).
//
//  5. Call Tick at or after the last Ready's Deadline.
//
//  6. After each input, if HasReady, take Ready and perform it in the order
//     its doc gives, then call Advance.
//
// The driver loop, in outline:
//
//	for {
//		select {
//		case c := <-conns:  e.AddLink(now, c.peer) // or RemoveLink
//		case f := <-frames: e.Receive(now, f.peer, f.data)
//		case r := <-routed: e.ReceiveRouted(now, r.origin, r.payload)
//		case b := <-sends:  b.reply(e.Broadcast(now, b.topic, b.payload, b.rcpt))
//		case <-timer.C:     e.Tick(now)
//		}
//		if e.HasReady() {
//			rd := e.Ready()
//			for _, a := range rd.Answers { waiters[a.Waiter] <- a.Msg }
//			for _, d := range rd.Delivered { handlers[d.Msg.Topic](d) }
//			for _, m := range rd.Messages { links[m.To].Send(lane(m.Lane), m.Frame.AppendTo(nil)) }
//			for _, r := range rd.Routed { router.Multicast(now, ids(r.Dests), classBroadcast, r.Frame.AppendTo(nil)) }
//			for _, p := range rd.Penalties { links.Score(p.Peer, p.Err) }
//			timer.Reset(rd.Deadline.Sub(now))
//			e.Advance()
//		}
//	}
//
// # Wire format (Version 1)
//
// One link frame carries one frame: a version byte (1), a type byte, the
// body. Integers are big-endian; ids are 32-byte ed25519 public keys.
// Decode is strict: unknown versions, types, flag bits and scopes, wrong
// lengths, trailing bytes and empty announcements are errors, and lengths
// and counts are checked against Limits before allocation.
//
//	type 1 Push     (119 + len)  flags[1] (bit0 reply, bits1-2 scope) topic u16 origin[32]
//	                             seq u64 payload_len u32 payload sig[64]
//	type 2 IHave    (4 + 64n)    n u16 (1..MaxAnnounce) n × (origin[32] digest[32])
//	type 3 Prune    (34)         origin[32]
//	type 4 Pull     (67)         flags[1] (bit0 graft) origin[32] digest[32]
//	type 5 Missing  (34)         digest[32]
//
// Forward compatibility: a new field or frame type changes Version; both
// ends agree at connection setup (the link layer's protocol id).
//
// # Safety and bounds
//
// Peer input never panics: every fault is an *Error with a Reason. Memory
// is bounded by CacheBytes (bodies), MaxSeen (digests), MaxFetches and
// maxAnnouncers (pending pulls), MaxWaiters, MaxDeferred/DeferBytes,
// MaxOrigins (trees) and MaxSeen serve records; a test drives random
// operations against a naive model and checks the budgets and refcounts
// after every step, and the invariants build tag checks them after every
// input.
package broadcast
