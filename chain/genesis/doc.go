// Package genesis is a chain's genesis file: its types (Doc, Producer),
// its encoding (Encode, Decode: indented JSON, unknown fields refused), its
// validation, the deterministic signer and chain-id derivation, the
// recorded consensus engine (Engine, EngineMismatchError) and the loading
// of files written before genesis recorded engines. The byte layout and
// the derivation are specified in docs/protocol.md §8.
//
// It is a pure package (internal/archtest): no file I/O, clock or
// randomness. node.LoadGenesis and node.WriteGenesis read and write the
// file; node's Genesis, GenesisProducer, GenesisError, ProducerKey, Engine
// and EngineMismatchError are aliases of this package's types, kept for
// embedders.
//
// # Usage
//
//	g, err := genesis.NewWithEngine("mychain", time.Now(), producers, genesis.EngineBFT)
//	data, err := g.Encode()          // validates; the bytes blockwire init writes
//	g, err = genesis.Decode(data)    // strict JSON, then Validate
//	err = g.CheckEngine(cfgEngine, file) // *EngineMismatchError when they differ
//	id := g.ID(); blk := g.GenesisBlock(); keys, peers := g.ProducerSet()
//
// # Caller's duties
//
//  1. Trust comes from the operator installing the file: the genesis
//     block's signature proves only that the file was not edited after the
//     block was made (its signer is derived from the file's own inputs).
//  2. Use ID, GenesisBlock and ProducerSet only after Validate, Decode or
//     New*: they read what Validate parsed.
//  3. Name the file in an *Error's File field when loading from disk
//     (Decode leaves it empty).
//
// # Compatibility
//
// The on-disk format never changes under existing chains: testdata holds a
// file written before the engine field existed (its id must not change)
// and files written per engine before this package existed; golden_test.go
// rebuilds and re-encodes them byte for byte. An empty Engine derives the
// signer exactly as before the field existed, so legacy files keep their
// chain ids; a named engine is appended to the derivation, so the same
// inputs under another engine give another chain.
//
// Error messages keep the "node: genesis" and "node: consensus.engine"
// prefixes they had when this code lived in node/: docs/operations.md and
// operators' scripts quote them.
package genesis
