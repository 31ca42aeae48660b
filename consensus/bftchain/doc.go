// Package bftchain is what the BFT engine (consensus/bft) puts on the
// chain and reads from it: epochs (which producer set signs, and the rule
// that switches it at a producer-set change), the finalization
// certificates later blocks carry in their bodies, and a Follower that
// verifies finality from blocks alone (a full node that is no producer, or
// a light client). It is pure: no clock, goroutine, disk or network.
//
// # Epochs
//
// An Epoch is a producer set that signs votes: plain (⌊2n/3⌋+1 of Next)
// or joint (that quorum of Next AND of Prev, bft.NewJointSet). Its Tag is
// a hash of its keys; votes travel in envelopes that name it and block
// certificates carry it, so everything is verified against the exact set
// that signed it. The driver (consensus/bftrun) runs one engine per epoch
// and switches by Epoch.Successor when a finalization makes a block final
// whose state holds another producer set: a plain epoch S whose final
// state says X ≠ S becomes joint(X, S); a joint epoch ends at its first
// finalization, into plain X. So a change S → X is decided by S, then
// confirmed by both S and X before X decides alone — the joint-consensus
// rule of DESIGN.md §7, with the hand-off of an epoch design (bft.md §9).
//
// Why the switch is safe although producers learn finality at different
// times: every certificate of joint(X, S) holds a quorum of S, so for a
// producer still in epoch S it is as good as a certificate of S (vote
// bytes do not name the epoch, and each producer's safety records are one
// store across epochs: it signs one notarize per view, whatever epoch it
// is in). Correct producers of X sign alone (plain X) only after a
// finalization that a quorum of S and of X signed in the joint epoch;
// correct producers that leave stop signing.
//
// # Block certificates
//
//	cert: version(1) = 1 ‖ epoch tag(32) ‖ bft certificate
//	      (kind(1) = 3 finalize ‖ view(8) ‖ block(32) ‖ uvarint set size ‖
//	       signer bitmap ‖ 64-byte signature per signer)
//
// A producer puts in block.Block.Certificate the newest finalization it
// knows that no block on its chain carries yet. The certificate is not
// covered by the header signature and needs not be: it proves itself.
//
// # Following from blocks alone
//
// NewFollower(chain, root, producers, maxPending) trusts root and the set
// after it; Add(block) checks the block, keeps it if its parent is known,
// and verifies its certificate against the epochs of the last KeepSets
// final sets (each plain, and each older-newer pair joint). A verified
// certificate makes its block and the ancestors final; change transactions
// in blocks that become final move the set in force. AddCert takes the
// same certificate bytes on their own (the proposer publishes them the
// moment they form, so a full node need not wait for a later block): the
// same verification, applied at once if the block is held, else kept (the
// highest only) until Add stores that block. Refusals are *Error values
// with a Reason.
package bftchain
