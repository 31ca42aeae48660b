// Package consensus holds blockwire's consensus engines: who produces the
// next block and when a block becomes irreversible.
//
//   - cft: crash-fault-tolerant consensus among the producers with
//     hashicorp/raft; the raft leader produces and the raft log orders
//     block ids.
//   - bft: a pure Simplex-class byzantine-fault-tolerant engine (a leader
//     per view; notarize, nullify and finalize votes; 3δ finality), with
//     safety records persisted before votes are sent and certificates that
//     later blocks carry.
//   - quorum: the small pure counting rules both need (quorum sizes, signer
//     bitmaps, joint quorums for producer-set changes).
//
// Each engine sits between the chain (which builds, stores and executes
// blocks) and the network (which carries blocks and consensus traffic), and
// talks to both through small interfaces it defines, so it can be tested on
// an in-memory network under testing/synctest and run over libp2p unchanged.
package consensus
