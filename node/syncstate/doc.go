// Package syncstate decides the sync signal a node shows its operator
// (/status sync, blockwire_catching_up, blockwire_stalled): synced,
// catching up, or stalled, from our head's progress over time and the
// highest peer head this node verified (a block it holds, or a header
// signed by a producer of the set in force). A peer's unsigned hello or
// Have height never enters it: one hostile hello must not flip a synced
// node to catching up, and a node frozen behind must not say synced
// (issue 11, attack 6).
//
// It is pure: the driver passes the time and the heights.
package syncstate
