package config

// Relay modes (P2PConfig.Relay).
const (
	RelayBlocksync = "blocksync"
	// RelayGossipsub is the benchmark baseline of issue 19: block bodies
	// on a gossipsub topic (gossip.go), for side-by-side figures.
	RelayGossipsub = "gossipsub"
)
