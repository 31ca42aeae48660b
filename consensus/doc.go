// Package consensus holds blockwire's consensus engines: who produces the
// next block and when a block becomes irreversible.
//
//   - cft: crash-fault-tolerant consensus among the producers with
//     hashicorp/raft; the raft leader produces and the raft log orders
//     block ids.
//
// Each engine sits between the chain (which builds, stores and executes
// blocks) and the network (which carries blocks and consensus traffic), and
// talks to both through small interfaces it defines, so it can be tested on
// an in-memory network under testing/synctest and run over libp2p unchanged.
package consensus
