// Package status holds what a node reports about itself, as data: the
// node's state at a glance (Node, the admin API's /status), its peers
// (Peer, /peers), its consensus state (Consensus, /consensus), its
// cumulative counters (Counters) and per-block observations for metrics
// (BlockObservation, Observer). The package node re-exports each under
// its historical name (node.Status, node.PeerStatus, ...), so embedders
// and the admin API see no difference.
//
// It also holds the assembly that is computation rather than wiring:
// Ref names a block from its header, MergePeers joins the link layer's
// view of the peers with blocksync's, ProducerList names the producers in
// force with their genesis names. It owns no goroutine, clock, socket or
// disk: node/status.go gathers the inputs on the node's loop (bounded by
// a timeout) and calls these.
package status
