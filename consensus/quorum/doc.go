// Package quorum holds the small, pure counting rules every consensus engine
// shares: quorum sizes, a tally of distinct signers kept as a bitmap, and
// joint quorums for producer-set changes.
//
// Sizes. BFT(n) = ⌊2n/3⌋+1 is the smallest count such that any two groups of
// that size out of n intersect in at least MaxFaulty(n)+1 = ⌊(n−1)/3⌋+1
// members, so they share a correct one while at most ⌊(n−1)/3⌋ are
// byzantine. Majority(n) = ⌊n/2⌋+1 is the crash-fault quorum (raft).
//
// Tally and Bitmap. Signers are numbered 0..n−1 by the caller (the position
// of a producer's key in its set). A Tally counts each index once, whatever
// the order or number of Adds, and reports whether a Rule is met. A Bitmap
// is the same set in the compact form certificates carry on the wire:
// ⌈n/8⌉ bytes, bit i%8 (least significant first) of byte i/8 set for signer
// i; ParseBitmap rejects set bits at or beyond n, so there is exactly one
// encoding of each signer set.
//
// Joint quorums. While a producer-set change is in progress, a decision
// needs a quorum of the old set AND a quorum of the new set (etcd raft's
// ConfChangeV2, psibase's joint BFT). A Rule is a list of Groups, each a set
// of signer indexes with the count it needs; a plain set is a Rule with one
// Group, a joint configuration a Rule with two, over one index space (the
// union of both sets), so one signature counts in every group its signer
// belongs to.
//
// Everything here is a plain function of its arguments: no clock, no
// randomness, no allocation beyond the bitmaps themselves. quick_test.go
// checks each function against a naive oracle with testing/quick.
package quorum
