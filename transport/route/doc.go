// Package route is blockwire's routing core: multi-hop unicast to any
// routable node (the producers; any node may opt in) and multicast to a
// set of them, over the links a node happens to have, so the network needs
// no full mesh.
//
// A Router is the state machine of one node. It is pure: no goroutines,
// clock, I/O or global random source. Time arrives as the now argument of
// every input, randomness as Config.RouterID (drawn by the driver at every
// start), and outputs leave as data in a Ready batch (etcd raft's
// Ready/Advance): messages per neighbour with their lane, delivered
// messages with their authenticated origin, failures of our own sends,
// drops with reasons, penalties for neighbours, route changes, and the
// next deadline.
//
// # Routing: Babel (RFC 8966) with an RTT metric (RFC 9616)
//
// Distance vector with Babel's feasibility condition, which keeps the
// selected next hops loop-free at every instant, not only after
// convergence:
//
//   - A destination announces itself with (RouterID, seqno) signed by its
//     node key, so no relay can advance another node's seqno. Relays pass
//     the signature along; metrics are hop by hop and unsigned. A check
//     costs one ed25519 verification per (source, seqno) per node (cached).
//   - Seqnos are 16-bit and compared modulo 2¹⁶ (newer). The route table
//     holds one route per (destination, neighbour); the source table holds
//     a feasibility distance (seqno, metric) per (destination, RouterID),
//     set whenever we advertise: to the new pair on a newer seqno, to the
//     smaller metric on the same one. A route is feasible when its metric
//     is infinite, no distance is held for its source, its seqno is newer,
//     or its seqno is equal and its metric strictly smaller. Only feasible
//     routes through links that are up are selected (checked at every
//     selection, so a distance lowered by our own advertisement applies at
//     once).
//   - Losing every feasible route: we advertise a retraction (metric
//     Infinity, always feasible, unsigned: it only removes a route through
//     its sender) and send a seqno request (seqno one past our distance) to
//     every neighbour, resent with doubling timeouts up to
//     Config.RequestResends times while we still starve. A node whose route
//     satisfies a request answers; otherwise it forwards it (never back to
//     the requester, never resent, duplicates suppressed); the destination
//     bumps its seqno, at most once per Config.MinBumpInterval (later
//     requests are answered by a delayed bump, not dropped).
//   - A restarted node announces a new RouterID: no node holds a distance
//     for it, so its routes are feasible at once (psibase #1259 was a node
//     shut out after a restart). Distances not refreshed for
//     Config.SourceGC (3 min) are dropped, so old RouterIDs do not leak.
//   - Liveness per link: a Hello every Config.HelloInterval carries our
//     timestamp and, for the link, the IHU: the echo of the peer's last
//     timestamp and how long we held it, so each side computes the RTT
//     with its own clock (RFC 9616). A link is up while hellos arrive
//     within Config.HoldMultiplier intervals and echo ours (bidirectional).
//     A hello from a peer that has not heard us is answered at once, so a
//     new link is measured in one round trip. RemoveLink (a closed
//     connection) takes a link down at once.
//   - Metric: Config.HopCost plus the smoothed RTT (weight 42/256) in units
//     of 100 µs, saturating at Infinity; every link costs at least 1, which
//     is what keeps an RTT metric loop-free. Hysteresis: a selected route
//     is replaced only by one better by more than max(SwitchThreshold%,
//     SwitchMin); metric drifts below TriggerThreshold% are not advertised
//     until the next refresh, so RTT noise neither flaps routes nor floods
//     updates. Switches, new seqnos and retractions are sent at once.
//   - A new neighbour gets our whole table, signed. Every
//     Config.UpdateInterval each neighbour gets a refresh: the same routes
//     unsigned (it verified them already); a refresh of an announcement the
//     receiver does not hold makes it ask with a RouteRequest. Routes not
//     refreshed for 3.5 intervals expire.
//
// # Data plane
//
// Send and Multicast originate a Data message: origin, class, sequence
// number, destination set, payload, and the origin's signature over all of
// them (sha256 of the payload); relays change only the hop limit and the
// remaining-destinations bitmap. At every hop: cheap checks (not our own,
// sequence time within [now − MaxAge, now + MaxSkew]), the signature (see
// "Signature checks"; a bad one penalizes the neighbour), the class's Validator (Accept, Ignore,
// Reject penalizes the neighbour, Defer holds it until Revalidate), then
// delivery if we are a destination (per-origin replay window: each (origin,
// seq) is delivered once) and forwarding: one copy per next hop carrying
// the destinations it serves, so a shared link carries one copy and relays
// split it again (BIER/Xcast). A destination with no route queues the
// message (per destination: Config.QueueBytes, QueueMessages, QueueTTL);
// when a route appears the queue is flushed, and when the TTL passes our
// own messages come back as a SendError (ReasonNoRoute), relayed ones as a
// Drop: never silent. Consensus-class data (ClassConsensus, ClassAttest) rides LaneControl, other classes
// LaneRouting; routing control always rides LaneControl.
//
// # Signature checks
//
// A node checks a Data signature unless both hold: the neighbour it came
// from IS the origin (the link authenticated that peer's key, so the
// origin field is true and the bytes are the origin's), and its remaining
// set is this node alone (it is delivered here and never forwarded or
// queued for another hop). Replies likewise: unchecked only when the
// neighbour is the replier and this node is the origin the reply ends at.
// Why this keeps the end-to-end guarantee:
//
//  1. Whoever delivers a message knows its origin sent it: either the
//     signature was checked, or the origin itself handed it over on an
//     authenticated link. Payload, class, seq and destinations are what
//     that peer sent; replay and stale checks run as before.
//  2. Nothing unchecked goes further: a message that must be forwarded or
//     queued is checked before it is, so a relay never passes on a bad
//     signature (the next hop would blame the relay, not the origin).
//  3. Every node whose neighbour is not the origin checks, so a forged or
//     altered message from a relay is refused and the relay penalized; a
//     bad signature from the origin on a message it wants forwarded is
//     refused and the origin penalized.
//
// The signer follows the same rule: the origin signs a copy only if it
// has later hops (Multicast signs lazily in forward; a copy for its next
// hop alone goes with an all-zero signature), and a destination signs its
// Reply unless the origin is its previous hop. Such an unsigned copy is
// worthless anywhere else: any other receiver's neighbour is not the
// origin, so it checks and refuses it. The common submit-and-answer
// between neighbours (a producer handing its pool to the leader) then
// costs no ed25519 operation at all (it was two signatures and two
// verifications); over relays each relay and the destination still
// verify.
//
// A driver that serialises the Router behind a lock does the ed25519 work
// outside it (precheck.go): Check decodes a frame and verifies a signature
// the receiver must check, StepChecked steps the result; Prepare, Sign and
// SendPrepared originate a message with the signing between them. The
// Router still decides what is checked; a verdict rides in an unexported
// field, is read once and never travels with a forwarded copy.
//
// # Relay flood limits
//
// A relay charges each message it would forward to a token bucket per
// (origin, class, unicast|multicast) (Config.FloodUnicast, FloodMulticast;
// flood.go), after the signature check so a forger cannot spend an honest
// origin's budget. Over the limit: a Drop with ReasonOriginFlood, and a
// penalty, once per flooding episode, when the neighbour is the origin.
//
// A sequence number is max(last+1, now_ms<<16): it grows across restarts
// (given a clock that does) and carries its send time, so a replay older
// than MaxAge is refused without state and replay windows idle for MaxAge
// can be dropped (at most Config.MaxOrigins are kept).
//
// # The driver's duties
//
//  1. Create the Router with New(cfg, now), a fresh random cfg.RouterID per
//     start, and perform its first Ready.
//
//  2. On every new connection call AddLink; when it closes, RemoveLink.
//
//  3. Feed every routing frame from a neighbour to Receive (or decoded to
//     Step) with the time.
//
//  4. Call Tick at or after the last Ready's Deadline.
//
//  5. After each input, if HasReady, take Ready and perform it in the
//     order its doc gives, then call Advance.
//
//     for {
//     select {
//     case c := <-conns:  r.AddLink(now, c.peer)  // or RemoveLink
//     case f := <-frames: r.Receive(now, f.peer, f.data)
//     case s := <-sends:  r.Send(now, s.dest, s.class, s.payload)
//     case <-timer.C:     r.Tick(now)
//     }
//     if r.HasReady() {
//     rd := r.Ready()
//     for _, d := range rd.Delivered { consumers[d.Class] <- d }
//     for _, m := range rd.Messages { links[m.To].Send(lane(m.Lane), m.Msg.AppendTo(nil)) }
//     for _, p := range rd.Penalties { links.Score(p.Peer, p.Err) }
//     timer.Reset(rd.Deadline.Sub(now))
//     r.Advance()
//     }
//     }
//
// # Attributes
//
// A destination may announce attributes with its seqno (Config.Attrs): the
// attestation level it serves as a verifier and labels such as operator
// and region. They ride only signed updates and are covered by the
// destination's signature together with a presence byte, so a relay can
// neither alter, add nor strip them; an unsigned refresh stands for the
// attributes of the announcement it names. Router.Announced lists the
// reachable destinations with attributes (the transport's Directory, from
// which consensus/attest picks verifiers), and Config.AdmitAttrs admits
// destinations by what they announced where Admit alone would refuse them.
//
// # Wire format (Version 2)
//
// One link frame carries one message: a version byte (2), a type byte, the
// body. Integers are big-endian; ids are 32-byte ed25519 public keys.
// Decode is strict: unknown versions, types and flag bits, wrong lengths,
// trailing bytes, empty or out-of-range destination bitmaps are errors,
// and counts and lengths are checked against Limits before allocation.
//
//	type 1 Hello         (17 bytes)  flags[1] (bit0 echo) interval_ms u16 ts_us u32 echo_ts_us u32 echo_delay_us u32
//	type 2 Update        (47, 111+)  flags[1] (bit0 signed, bit1 attrs: only with bit0) dest[32] router_id u64
//	                                 seqno u16 metric u16 [sig[64] [attrs]]
//	attrs                            level u8 n u8 (≤ 8) n × (klen u8 (1..32) key[a-z0-9._-] vlen u8 (≤ 64) value[printable])
//	                                 keys strictly ascending
//	type 3 SeqnoRequest  (45 bytes)  dest[32] router_id u64 seqno u16 hops u8 (hops >= 1)
//	type 4 RouteRequest  (34 bytes)  dest[32]
//	type 5 Data          (variable)  class u8 hop_limit u8 origin[32] seq u64 n u16 dests[32n]
//	                                 remaining[ceil(n/8)] payload_len u32 payload sig[64]
//
// Signed bytes: an announcement signs "blockwire/route/announce/v2" ‖ dest
// ‖ router_id ‖ seqno ‖ 0, or ‖ 1 ‖ attrs when it carries attributes; a
// data message signs "blockwire/route/data/v1" ‖
// origin ‖ class ‖ seq ‖ n ‖ dests ‖ sha256(payload). Forward
// compatibility: a new field or message type changes Version; both ends
// must agree at connection setup (the link layer's protocol id). Version 1
// had no attributes; its frames are refused as ReasonVersion.
//
// # Safety and bounds
//
// Loop-freedom is Babel's: FDs only decrease for a seqno and a node selects
// a neighbour only if the neighbour's advertised metric is below its own
// FD, so along any cycle of selections the distances would strictly
// decrease back to themselves. The simulator checks the selected next-hop
// graph after every route change and a test disables the condition
// (Config.DisableFeasibility) to show that the check finds the loops it
// prevents. Peer input never panics: every fault is an *Error with a
// Reason. Memory is bounded by MaxDestinations (table, queues), the
// neighbour count, MaxOrigins windows of 64 entries, and the defer limits.
package route
