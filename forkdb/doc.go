// Package forkdb is the fork database: a pure, in-memory tree of block
// headers rooted at the last irreversible block.
//
// It answers the questions block sync and consensus ask of the chain: which
// block is the best head, is a block on the best chain, where do two branches
// meet, what does a fork switch remove and add. It owns no goroutine, clock,
// disk or randomness, and is not safe for concurrent use: its owner (the
// chain layer, a simulated node) serialises calls.
//
// # Fork choice
//
// The best head is the viable block with the greatest (Term, Height, ID),
// compared in that order; ID bytes break ties deterministically so every node
// picks the same head from the same set of blocks. A higher term wins over a
// greater height: under raft a new leader's first block supersedes a deposed
// leader's longer branch. A block is viable when it descends from the pinned
// block, if one is pinned (BFT view roots and locks).
//
// # Usage
//
//  1. New(genesis or the irreversible block read back from the block log).
//  2. Insert every header after checking its signature (block.Check): the tree
//     checks only what needs the tree (parent known, height and term
//     linkage, above the root, not a duplicate, no invalid ancestor).
//  3. Compare HeadID before and after an Insert, SetIrreversible or
//     MarkInvalid; when it changed, Diff(old, new) gives the fork switch.
//  4. SetIrreversible when consensus finalizes a block: the tree drops the
//     old root's ancestors and every branch that does not descend from the
//     new root, so its memory is bounded by the blocks not yet final.
//  5. MarkInvalid when executing a block fails: its subtree is removed and
//     blacklisted so a peer cannot feed it back.
//
// # Implementation notes
//
// Nodes hold parent and child pointers in a map keyed by id. Ancestor and
// BestAt walk parent pointers, so they cost the distance walked; the tree
// only holds blocks that are not yet irreversible, which keeps walks short in
// steady state. Errors for rejected headers are *Error values with a stable
// Reason so that callers can score peers by reason.
package forkdb
