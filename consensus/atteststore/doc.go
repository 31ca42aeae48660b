// Package atteststore keeps the attestation scheduler's durable state
// (consensus/attest) in the node's pebble database: the time-ordered
// schedule, each pending block's state beside it, and the proofs of
// finalized blocks. It is the durable half of attest.Ready's
// persist-before-send rule.
//
// Keys live under the prefix 0xF5 "attest/" (docs/protocol.md §9, §13):
//
//	prefix 'q' due(8, Unix ms, big-endian) block(32)  -> level number(1)
//	prefix 's' block(32)                              -> attest.State record
//	prefix 'p' block(32)                              -> attest.Proof record
//
// The 'q' table is the schedule, seed 000's Redis sorted set scored by
// time: iterating it visits blocks in due order. A stalled block has a
// state and no schedule entry. Apply writes one attest.Ready (every state
// with its schedule entry moved from PrevDue to Due; every finalization as
// its proof, with its state and schedule entry deleted) in one batch
// committed with pebble.Sync, so state, schedule and proofs never disagree
// after a crash and nothing the scheduler sends is ahead of the disk.
//
// Load returns the states in schedule order (stalled ones last) and
// refuses a store whose tables disagree or whose records do not decode:
// pebble's WAL already drops a torn tail, so a bad record is corruption.
//
// A node with attestation turned off never opens these keys (seed 000: the
// chain leaves the verification network and loads no schedule state).
package atteststore
