package node

import "github.com/blockwire/blockwire/node/status"

// Per-block arrival records for measurement (node/status.Arrivals).
type (
	// BlockArrival is one block as this node received it.
	BlockArrival = status.BlockArrival
	// Forward is one body handed to the link for a peer.
	Forward = status.Forward
)

// Propagation returns what the node recorded for blocks at or above
// height from, lowest height first.
func (n *Node) Propagation(from uint64) []BlockArrival { return n.prop.Since(from) }
