package genesis

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
)

// Producer is one block producer named in the genesis file.
type Producer struct {
	// Name is a label for logs and the admin API (unique in the file).
	Name string `json:"name"`
	// PeerID is the producer's libp2p identity, derived from PublicKey.
	PeerID string `json:"peer_id"`
	// PublicKey is the producer's ed25519 block-signing key in hex: the
	// public half of the node key (the same key is its libp2p identity).
	PublicKey string `json:"public_key"`
}

// Doc is a chain's genesis file (JSON). Every node of a chain loads the
// same file; the genesis block's id names the chain in the node's database.
//
// The file is the source of truth for who produces: the block's header
// carries ProducerSet = block.ProducerSetHash(the producers' keys), which
// Validate checks, so a file whose producer list was edited after the block
// was made is refused.
type Doc struct {
	// Chain is the chain's human-readable name.
	Chain string `json:"chain"`
	// Engine is the consensus engine every node of the chain runs ("cft",
	// "bft" or "solo"); a node whose consensus.engine differs refuses to
	// start (*EngineMismatchError). It is bound into the genesis block (the
	// block's signer is derived from it), so it is part of the chain id:
	// nodes of a chain built for another engine do not connect. Empty (a
	// file written before the field existed) records no engine: the node's
	// consensus.engine decides, as it always did, and nothing is derived
	// from it.
	Engine Engine `json:"engine,omitempty"`
	// Time is the genesis block's timestamp.
	Time time.Time `json:"genesis_time"`
	// Producers are the initial block producers (the raft voters under CFT).
	Producers []Producer `json:"producers"`
	// Block is the encoded genesis block (chain/block encoding) in hex.
	Block string `json:"block"`

	// Parsed by Validate.
	block *block.Block
	keys  []block.PublicKey
	peers []peer.ID
}

// Error says what is wrong with a genesis file. Its message keeps the
// "node: genesis" prefix it had when this code lived in node/: operators'
// scripts and docs/operations.md quote it.
type Error struct {
	File    string
	Problem string
}

func (e *Error) Error() string {
	if e.File == "" {
		return "node: genesis: " + e.Problem
	}
	return "node: genesis " + e.File + ": " + e.Problem
}

// ProducerKey names a producer for New.
type ProducerKey struct {
	Name string
	Key  crypto.PubKey // ed25519, as link.LoadOrCreateKey returns (GetPublic)
}

// New builds the genesis of chain with the given producers at time t.
// It is deterministic: the genesis block is signed with a key derived from
// the chain name, time and producer set, so that nodes given the same inputs
// build the same file (the signature proves nothing about authority; the
// genesis is trusted because the operator installed it).
//
// The genesis records no engine (Engine empty: the nodes' configs decide);
// NewWithEngine records one, as blockwire init does.
func New(chain string, t time.Time, producers []ProducerKey) (*Doc, error) {
	return NewWithEngine(chain, t, producers, "")
}

// NewWithEngine is New recording engine (empty: none). The
// engine takes part in the genesis signer's derivation, so the same chain
// name, time and producers give another genesis id per engine.
func NewWithEngine(chain string, t time.Time, producers []ProducerKey, engine Engine) (*Doc, error) {
	if chain == "" {
		return nil, &Error{Problem: "empty chain name"}
	}
	if len(producers) == 0 {
		return nil, &Error{Problem: "no producers"}
	}
	g := &Doc{Chain: chain, Time: t.UTC(), Engine: engine}
	keys := make([]block.PublicKey, len(producers))
	for i, p := range producers {
		if p.Key == nil || p.Key.Type() != crypto.Ed25519 {
			return nil, &Error{Problem: fmt.Sprintf("producer %q: not an ed25519 key", p.Name)}
		}
		raw, err := p.Key.Raw()
		if err != nil {
			return nil, &Error{Problem: fmt.Sprintf("producer %q: %v", p.Name, err)}
		}
		pid, err := peer.IDFromPublicKey(p.Key)
		if err != nil {
			return nil, &Error{Problem: fmt.Sprintf("producer %q: %v", p.Name, err)}
		}
		copy(keys[i][:], raw)
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("producer-%d", i)
		}
		g.Producers = append(g.Producers, Producer{Name: name, PeerID: pid.String(), PublicKey: hex.EncodeToString(raw)})
	}
	set := block.ProducerSetHash(keys)
	hdr := block.Header{Height: 1, Timestamp: g.Time.UnixNano(), ProducerSet: set}
	blk, err := block.Seal(hdr, nil, nil, signer(chain, g.Time, set, engine))
	if err != nil {
		return nil, fmt.Errorf("node: sealing genesis: %w", err)
	}
	g.Block = hex.EncodeToString(blk.Encode())
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// signer derives the genesis block's signing key from its inputs.
// An empty engine derives what it did before genesis recorded engines, so
// such files keep their ids; a named engine is appended (length-prefixed).
func signer(chain string, t time.Time, set block.Hash, engine Engine) ed25519.PrivateKey {
	h := sha256.New()
	h.Write([]byte("blockwire/genesis-signer/v1"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(chain))))
	h.Write([]byte(chain))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())))
	h.Write(set[:])
	if engine != "" {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(engine))))
		h.Write([]byte(engine))
	}
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// Validate parses the block and checks the file's consistency: the block is
// a valid genesis (height 1, zero parent, good signature), its timestamp is
// Time, its ProducerSet hashes the listed keys, and each peer id derives
// from its key. A genesis that records an engine names a known one (solo:
// exactly one producer) and its block's signer is the one derived from the
// chain name, time, producer set and engine (so none of them was edited
// after the block was made). It returns a *Error naming the first
// problem.
func (g *Doc) Validate() error {
	bad := func(format string, args ...any) error { return &Error{Problem: fmt.Sprintf(format, args...)} }
	if g.Chain == "" {
		return bad("chain: empty")
	}
	if len(g.Producers) == 0 {
		return bad("producers: none")
	}
	keys, peers, err := parseProducers(g.Producers)
	if err != nil {
		return err
	}
	raw, err := hex.DecodeString(g.Block)
	if err != nil {
		return bad("block: not hex: %v", err)
	}
	blk, err := block.Decode(raw, block.DefaultLimits())
	if err != nil {
		return bad("block: %v", err)
	}
	switch {
	case blk.Height != 1 || !blk.Parent.IsZero():
		return bad("block: height %d with parent %s, want height 1 and the zero parent", blk.Height, blk.Parent)
	case blk.Timestamp != g.Time.UnixNano():
		return bad("block: timestamp %d differs from genesis_time %s", blk.Timestamp, g.Time.Format(time.RFC3339Nano))
	case blk.ProducerSet != block.ProducerSetHash(keys):
		return bad("block: producer set hash %s does not match the listed producers", blk.ProducerSet)
	}
	if err := blk.Check(); err != nil {
		return bad("block: %v", err)
	}
	if err := g.checkEngine(blk, len(keys)); err != nil {
		return err
	}
	g.block, g.keys, g.peers = blk, keys, peers
	return nil
}

// checkEngine checks a recorded engine (none: nothing to check, the file
// predates the field).
func (g *Doc) checkEngine(blk *block.Block, producers int) error {
	bad := func(format string, args ...any) error { return &Error{Problem: fmt.Sprintf(format, args...)} }
	switch g.Engine {
	case "":
		return nil
	case EngineCFT, EngineBFT:
	case EngineSolo:
		if producers != 1 {
			return bad("engine %q needs exactly one producer, the genesis lists %d", g.Engine, producers)
		}
	default:
		return bad("engine %q, want \"cft\", \"bft\" or \"solo\"", g.Engine)
	}
	var want block.PublicKey
	copy(want[:], signer(g.Chain, g.Time, blk.ProducerSet, g.Engine).Public().(ed25519.PublicKey))
	if blk.Producer != want {
		return bad("block: not built for chain %q with engine %q (its signer %s is not the one derived from them: was the file edited?)",
			g.Chain, g.Engine, blk.Producer)
	}
	return nil
}

func parseProducers(ps []Producer) ([]block.PublicKey, []peer.ID, error) {
	bad := func(i int, format string, args ...any) error {
		return &Error{Problem: fmt.Sprintf("producers[%d]: ", i) + fmt.Sprintf(format, args...)}
	}
	names := map[string]bool{}
	seen := map[block.PublicKey]bool{}
	keys := make([]block.PublicKey, len(ps))
	peers := make([]peer.ID, len(ps))
	for i, p := range ps {
		if p.Name == "" || names[p.Name] {
			return nil, nil, bad(i, "name %q is empty or repeated", p.Name)
		}
		names[p.Name] = true
		raw, err := hex.DecodeString(p.PublicKey)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, nil, bad(i, "public_key %q is not 32 bytes of hex", p.PublicKey)
		}
		copy(keys[i][:], raw)
		if seen[keys[i]] {
			return nil, nil, bad(i, "public_key repeated")
		}
		seen[keys[i]] = true
		pub, err := crypto.UnmarshalEd25519PublicKey(raw)
		if err != nil {
			return nil, nil, bad(i, "public_key: %v", err)
		}
		want, err := peer.IDFromPublicKey(pub)
		if err != nil {
			return nil, nil, bad(i, "public_key: %v", err)
		}
		if p.PeerID != want.String() {
			return nil, nil, bad(i, "peer_id %q does not match public_key (want %s)", p.PeerID, want)
		}
		peers[i] = want
	}
	return keys, peers, nil
}

// GenesisBlock returns the parsed genesis block (after Validate or
// Decode).
func (g *Doc) GenesisBlock() *block.Block { return g.block }

// ID returns the genesis block's id (after Validate or Decode).
func (g *Doc) ID() block.ID {
	if g.block == nil {
		return block.ID{}
	}
	return g.block.ID()
}

// ProducerSet returns the producers' keys and peer ids, in file order
// (after Validate or Decode).
func (g *Doc) ProducerSet() ([]block.PublicKey, []peer.ID) {
	return append([]block.PublicKey(nil), g.keys...), append([]peer.ID(nil), g.peers...)
}

// Encode validates g and returns the file's bytes: indented JSON and a
// final newline (the bytes blockwire init writes, golden-file tested).
func (g *Doc) Encode() ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("node: encoding genesis: %w", err)
	}
	return append(data, '\n'), nil
}

// Decode parses and validates a genesis file's bytes. Unknown fields are
// errors; so is anything Validate refuses. Bytes after the first JSON
// value are ignored (as the file loader always did). Every error is an
// *Error; the caller names the file in its File field.
func Decode(data []byte) (*Doc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Doc
	if err := dec.Decode(&g); err != nil {
		return nil, &Error{Problem: "not a genesis file: " + err.Error()}
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// EngineMismatchError: the node's consensus.engine is not the engine its
// genesis records. Every node of a chain runs the genesis engine (a CFT
// node cannot follow BFT certificates, nor a BFT producer vote with raft),
// so the node refuses to start rather than fork off or stall.
type EngineMismatchError struct {
	// Config is consensus.engine, Genesis the engine the genesis records.
	Config, Genesis Engine
	// File is the genesis file (empty when the genesis was given in code).
	File string
}

func (e *EngineMismatchError) Error() string {
	where := "the genesis"
	if e.File != "" {
		where = "the genesis " + e.File
	}
	return fmt.Sprintf("node: consensus.engine = %q, but %s records engine %q: every node of a chain runs "+
		"the genesis engine; set consensus.engine = %q", e.Config, where, e.Genesis, e.Genesis)
}

// CheckEngine returns an *EngineMismatchError when the genesis records an
// engine other than engine (a genesis recording none accepts any).
func (g *Doc) CheckEngine(engine Engine, file string) error {
	if g.Engine == "" || g.Engine == engine {
		return nil
	}
	return &EngineMismatchError{Config: engine, Genesis: g.Engine, File: file}
}
