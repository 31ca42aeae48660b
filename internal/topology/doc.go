// Package topology draws who peers whom in a test network: full, ring,
// line, or a connected random graph in which every node has degree K (one
// node has K-1 when nodes×K is odd). The same (kind, nodes, degree, seed)
// always gives the same graph, so a testnet run and its re-run, or a
// testnet and the simulator, can be compared on one topology. It is the
// only implementation: node.Neighbours (init and testnet --topology),
// testnet --netns and the simulator (sim.buildTopology, which passes its
// run's random source to RandomRegular) all draw from it.
//
// It is pure and stdlib-only: the seed is an input, nothing is global.
//
// # Usage
//
//	g, err := topology.Build(topology.Spec{Kind: topology.Random, Nodes: 16, Degree: 4, Seed: 1})
//	for i, adj := range g { ... node i lists adj as its static peers ... }
//
// Graph.Dialers gives each undirected edge one dialling side (the lower
// index), so static peer lists do not make both ends dial each other.
package topology
