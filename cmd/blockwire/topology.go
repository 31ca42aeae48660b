package main

import (
	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
)

// topologyFlags registers --topology, --degree and --topology-seed, which
// shape the static peers init and testnet write (node.Neighbours).
func topologyFlags(cmd *cobra.Command, spec *node.NetworkSpec) {
	f := cmd.Flags()
	spec.Topology = node.TopologyFull
	f.StringVar((*string)(&spec.Topology), "topology", string(node.TopologyFull),
		"static peers: full (every node peers every other), ring, line or random (producers first; raft rides routed unicast, so producers need no mesh)")
	f.IntVar(&spec.Degree, "degree", 4, "with --topology random: peers per node (a connected random regular graph)")
	f.Uint64Var(&spec.Seed, "topology-seed", 1, "with --topology random: the seed of the random links")
	f.IntVar(&spec.Seeds, "seeds", 0, "peer discovery instead of static peers: every node knows only the last K nodes (the seeds) and finds the rest (p2p.seeds)")
	f.IntVar(&spec.TargetPeers, "target-peers", 0, "with --seeds: p2p.target_peers (default: --degree with --topology random, else 4)")
}
