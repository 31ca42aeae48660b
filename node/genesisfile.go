package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/blockwire/blockwire/chain/genesis"
)

// The genesis format lives in chain/genesis (a pure package: types,
// encoding, validation, the signer and chain-id derivation); these names
// keep node's API for embedders, and the file I/O is here.

type (
	// Genesis is a chain's genesis file (genesis.Doc).
	Genesis = genesis.Doc
	// GenesisProducer is one producer a genesis names (genesis.Producer).
	GenesisProducer = genesis.Producer
	// GenesisError says what is wrong with a genesis file (genesis.Error).
	GenesisError = genesis.Error
	// ProducerKey names a producer for NewGenesis (genesis.ProducerKey).
	ProducerKey = genesis.ProducerKey
	// EngineMismatchError: consensus.engine is not the genesis engine.
	EngineMismatchError = genesis.EngineMismatchError
	// Engine selects the consensus engine (genesis.Engine).
	Engine = genesis.Engine
)

// Engines (genesis.EngineCFT, EngineSolo, EngineBFT).
const (
	EngineCFT  = genesis.EngineCFT
	EngineSolo = genesis.EngineSolo
	EngineBFT  = genesis.EngineBFT
)

// NewGenesis builds a genesis recording no engine (genesis.New).
func NewGenesis(chain string, t time.Time, producers []ProducerKey) (*Genesis, error) {
	return genesis.New(chain, t, producers)
}

// NewEngineGenesis builds a genesis recording engine (genesis.NewWithEngine).
func NewEngineGenesis(chain string, t time.Time, producers []ProducerKey, engine Engine) (*Genesis, error) {
	return genesis.NewWithEngine(chain, t, producers, engine)
}

// WriteGenesis validates g and writes it as indented JSON to path, creating
// the directory if needed.
func WriteGenesis(path string, g *Genesis) error {
	data, err := g.Encode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("node: genesis directory: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("node: writing genesis: %w", err)
	}
	return nil
}

// LoadGenesis reads and validates a genesis file (genesis.Decode); a
// *GenesisError names the file.
func LoadGenesis(path string) (*Genesis, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &GenesisError{File: path, Problem: err.Error()}
	}
	g, err := genesis.Decode(data)
	if err != nil {
		var ge *GenesisError
		if errors.As(err, &ge) {
			ge.File = path
		}
		return nil, err
	}
	return g, nil
}
