// Package rbcrun is the driver of reliable broadcast (transport/rbc): it
// runs one participant's Core with real time, makes its records durable
// (transport/rbcstore, synced) before the signatures they cover leave,
// carries its messages to the other participants through a Messenger
// (routed multicast on the transport's reliable-broadcast class in a
// node), follows the participant set in force, and hands deliveries to
// the local broadcaster and to subscribers in order. It is a driver, not
// a pure core: one goroutine, one timer, the store's fsyncs.
//
// # Usage: the caller's duties
//
//  1. Fill a Config from DefaultConfig(domain, key): the domain is the
//     chain (genesis id), the key the node key (a producer's block key:
//     the participants are the producers).
//  2. Deps.Store opens the records of a participant set:
//     rbcstore.New(db, rbcstore.ScopeOf(set)) on the node's pebble
//     database; Deps.Messenger is the transport's class; Deps.Refused
//     charges peers (called for penalized refusals only).
//  3. New(cfg, deps, keys) with the producer set in force (keys in the
//     set's canonical order: every participant must use the same order,
//     it defines the indexes and the set hash every signature covers).
//  4. On every producer-set change that became irreversible:
//     SetParticipants(keys).
//  5. Broadcast(ctx, payload) returns once we delivered our own payload,
//     with its certificate; Subscribe(buf) gets every delivery. Status for
//     the admin API, Counters for metrics.
//  6. Stop before closing the database. Err says why a runner stopped by
//     itself (a store that cannot sync: it must not sign on).
//
// # The loop and persist before send
//
// One goroutine owns the core, the store and the set. It waits on the
// inbound queue (the messenger's handler only enqueues, dropping and
// counting beyond Config.InboundQueue), API calls, and the core's
// deadline; after each input it performs every Ready batch in rbc.Ready's
// order:
//
//  1. Store.Append(rd.Persist), synced. If it fails the runner stops
//     (Err) and nothing is sent: a signature sent without its record could
//     be contradicted after a crash.
//  2. Store.Forget(rd.Forget); our broadcasts among them that never
//     delivered fail with ErrExpired.
//  3. Multicast each of rd.Messages to its participants.
//  4. rd.Delivered: to our waiting Broadcast (by instance), to Status's
//     recent list, to every subscriber (in order; a full subscriber
//     channel drops and counts, the runner never blocks on one).
//  5. The timer is set to rd.Deadline; Advance.
//
// A crash between 1 and 3 loses unsent messages only: the restarted core
// folds the records back, resends the same echo and ready (ed25519 is
// deterministic) and never signs another digest in that instance
// (TestCrashBetweenPersistAndSendThenEquivocatingOrigin; the node-level
// test kills a real process).
//
// # Participant sets
//
// The participants are the producer set in force. Each set has its own
// core and its own records (rbcstore's scope is 8 bytes of the set's
// hash), because an instance (origin index, seq) is another broadcast
// under another set. A change abandons the old set's instances here (our
// pending broadcasts fail with ErrSetChanged: broadcast again); a node
// outside the set neither broadcasts (ErrNotParticipant) nor delivers.
//
// # Wire format (envelope version 1)
//
//	version(1) = 1 ‖ set tag(8) ‖ message (transport/rbc wire format)
//
// The tag (8 bytes of the participant set's hash) tells a message of
// another set — a change that reached the sender first, or us — from a
// forgery: the first is counted (Counters.OtherSet) and ignored, the
// core's retransmissions cover the switch; a forgery fails its signature
// check and costs its sender. Refusals: malformed or unknown-version
// envelopes, senders outside the set (non-member), and every penalized
// rbc.Reason go to Deps.Refused.
package rbcrun
