// Package attestrun is the driver of the attestation cores
// (consensus/attest): it runs a node's requester (the Scheduler with its
// pebble store, consensus/atteststore) and its verifier (the Verifier) on
// one goroutine with one timer, over routed unicast. It is a driver, not
// a pure core: the goroutine, the clock, the store's fsyncs. The node runs
// one Runner when attest.require or attest.verifier is on
// (node/attest.go), and none at all when both are off: such a node loads
// no attestation state and verifies nothing.
//
// # The caller's duties
//
//  1. Fill Config from DefaultConfig: the node Key; Sched, the network's
//     level scheme (attest.ParseLevels), the same on every node; Require
//     for a requester; Level for a verifier.
//  2. Deps: Net, routed unicast on route.ClassAttest (the control lane,
//     never behind blocks), with Deliver as the class's handler and
//     Undeliverable as its failure handler; Directory, the verifiers
//     announced in the routing table (transport.Directory: level and
//     labels signed with each verifier's route announcement); for a
//     requester Chain and Store (on the node's database); for a verifier
//     CheckBlock (the node's: the block is on its irreversible chain and
//     validly signed, attest.ErrNotYet while its chain is behind) and
//     AllowRequester; Refused to score peers.
//  3. Start; call ChainAdvanced whenever the irreversible block moves; Stop
//     before closing the database.
//
// # The loop
//
// After each input — a delivered message, a failure report, a wake-up,
// the timer — the loop, holding the runner's lock:
//
//  1. steps every queued message into its core: requests to the verifier
//     (from allowed requesters only), receipts to the scheduler, acks to
//     the verifier; failure reports of our requests to
//     Scheduler.Unreachable (a replacement is asked at once, over another
//     route, instead of at the deadline);
//  2. every DirectoryInterval reads the directory again; on a change the
//     scheduler selects from it and blocks that stalled for want of
//     qualifying verifiers are retried;
//  3. hands the scheduler the blocks that became irreversible since its
//     cursor (AddBatch at a time; blocks with a stored proof skipped);
//  4. ticks both cores and performs their Ready batches in the documented
//     order: the scheduler's states, proofs and the cursor in one synced
//     batch (ApplyWithCursor) before any request or acknowledgement
//     leaves; then the messages; then stalls (logged) and finalizations
//     (latency recorded, waiters woken). A store that fails stops the
//     requester (Err) without sending anything unrecorded.
//
// # Restart
//
// The requester resumes from its store: pending states (in-flight requests
// re-sent at once, so a request is repeated only when the crash may have
// lost it) and the cursor, durable in the same batch as the states of the
// blocks it covers. A crash between the two only re-adds blocks the
// scheduler holds (ignored) or has proofs for (skipped). A database that
// never ran the requester starts at its irreversible block: history is
// not attested. The verifier keeps nothing: a receipt lost with it costs
// one replacement.
//
// # Testing
//
// The runner tests run real runners on an in-memory twin of the attest
// class with the production store on a crash-cloneable file system under
// testing/synctest: every block finalizes with exactly the required
// verifications, verifiers that learn irreversibility late hold requests
// rather than refuse them, and a requester crash mid-collection resumes
// without asking anyone twice beyond the lost in-flight requests.
package attestrun
