package config

import "github.com/blockwire/blockwire/chain/genesis"

// Engine selects the consensus engine (consensus.engine): the names a
// genesis records (chain/genesis).
type Engine = genesis.Engine

// Engines.
const (
	EngineCFT  = genesis.EngineCFT
	EngineSolo = genesis.EngineSolo
	EngineBFT  = genesis.EngineBFT
)
