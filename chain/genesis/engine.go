package genesis

// Engine names a consensus engine: the one a genesis records (Doc.Engine)
// and the one a node's consensus.engine selects. The names are part of the
// chain id (a recorded engine takes part in the genesis signer's
// derivation), so they never change.
type Engine string

// Engines.
const (
	// EngineCFT is hashicorp/raft among the producers (the default).
	EngineCFT Engine = "cft"
	// EngineSolo is one producer whose blocks are irreversible when made:
	// for development and single-machine chains.
	EngineSolo Engine = "solo"
	// EngineBFT is the byzantine-fault-tolerant engine (consensus/bft,
	// driven by consensus/bftrun): tolerates f of 3f+1 producers that lie,
	// final in three message delays (docs/operations.md, "Choosing BFT").
	EngineBFT Engine = "bft"
)
