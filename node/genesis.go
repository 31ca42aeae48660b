package node

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// GenesisProducer is one block producer named in the genesis file.
type GenesisProducer struct {
	// Name is a label for logs and the admin API (unique in the file).
	Name string `json:"name"`
	// PeerID is the producer's libp2p identity, derived from PublicKey.
	PeerID string `json:"peer_id"`
	// PublicKey is the producer's ed25519 block-signing key in hex: the
	// public half of the node key (the same key is its libp2p identity).
	PublicKey string `json:"public_key"`
}

// Genesis is a chain's genesis file (JSON). Every node of a chain loads the
// same file; the genesis block's id names the chain in the node's database.
//
// The file is the source of truth for who produces: the block's header
// carries ProducerSet = block.ProducerSetHash(the producers' keys), which
// Validate checks, so a file whose producer list was edited after the block
// was made is refused.
type Genesis struct {
	// Chain is the chain's human-readable name.
	Chain string `json:"chain"`
	// Time is the genesis block's timestamp.
	Time time.Time `json:"genesis_time"`
	// Producers are the initial block producers (the raft voters under CFT).
	Producers []GenesisProducer `json:"producers"`
	// Block is the encoded genesis block (chain/block encoding) in hex.
	Block string `json:"block"`

	// Parsed by Validate.
	block *block.Block
	keys  []block.PublicKey
	peers []link.PeerID
}

// GenesisError says what is wrong with a genesis file.
type GenesisError struct {
	File    string
	Problem string
}

func (e *GenesisError) Error() string {
	if e.File == "" {
		return "node: genesis: " + e.Problem
	}
	return "node: genesis " + e.File + ": " + e.Problem
}

// ProducerKey names a producer for NewGenesis.
type ProducerKey struct {
	Name string
	Key  crypto.PubKey // ed25519, as link.LoadOrCreateKey returns (GetPublic)
}

// NewGenesis builds the genesis of chain with the given producers at time t.
// It is deterministic: the genesis block is signed with a key derived from
// the chain name, time and producer set, so that nodes given the same inputs
// build the same file (the signature proves nothing about authority; the
// genesis is trusted because the operator installed it).
func NewGenesis(chain string, t time.Time, producers []ProducerKey) (*Genesis, error) {
	if chain == "" {
		return nil, &GenesisError{Problem: "empty chain name"}
	}
	if len(producers) == 0 {
		return nil, &GenesisError{Problem: "no producers"}
	}
	g := &Genesis{Chain: chain, Time: t.UTC()}
	keys := make([]block.PublicKey, len(producers))
	for i, p := range producers {
		if p.Key == nil || p.Key.Type() != crypto.Ed25519 {
			return nil, &GenesisError{Problem: fmt.Sprintf("producer %q: not an ed25519 key", p.Name)}
		}
		raw, err := p.Key.Raw()
		if err != nil {
			return nil, &GenesisError{Problem: fmt.Sprintf("producer %q: %v", p.Name, err)}
		}
		pid, err := peer.IDFromPublicKey(p.Key)
		if err != nil {
			return nil, &GenesisError{Problem: fmt.Sprintf("producer %q: %v", p.Name, err)}
		}
		copy(keys[i][:], raw)
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("producer-%d", i)
		}
		g.Producers = append(g.Producers, GenesisProducer{Name: name, PeerID: pid.String(), PublicKey: hex.EncodeToString(raw)})
	}
	set := block.ProducerSetHash(keys)
	hdr := block.Header{Height: 1, Timestamp: g.Time.UnixNano(), ProducerSet: set}
	blk, err := block.Seal(hdr, nil, nil, genesisSigner(chain, g.Time, set))
	if err != nil {
		return nil, fmt.Errorf("node: sealing genesis: %w", err)
	}
	g.Block = hex.EncodeToString(blk.Encode())
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// genesisSigner derives the genesis block's signing key from its inputs.
func genesisSigner(chain string, t time.Time, set block.Hash) ed25519.PrivateKey {
	h := sha256.New()
	h.Write([]byte("blockwire/genesis-signer/v1"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(chain))))
	h.Write([]byte(chain))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())))
	h.Write(set[:])
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// Validate parses the block and checks the file's consistency: the block is
// a valid genesis (height 1, zero parent, good signature), its timestamp is
// Time, its ProducerSet hashes the listed keys, and each peer id derives
// from its key. It returns a *GenesisError naming the first problem.
func (g *Genesis) Validate() error {
	bad := func(format string, args ...any) error { return &GenesisError{Problem: fmt.Sprintf(format, args...)} }
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
	g.block, g.keys, g.peers = blk, keys, peers
	return nil
}

func parseProducers(ps []GenesisProducer) ([]block.PublicKey, []link.PeerID, error) {
	bad := func(i int, format string, args ...any) error {
		return &GenesisError{Problem: fmt.Sprintf("producers[%d]: ", i) + fmt.Sprintf(format, args...)}
	}
	names := map[string]bool{}
	seen := map[block.PublicKey]bool{}
	keys := make([]block.PublicKey, len(ps))
	peers := make([]link.PeerID, len(ps))
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
// LoadGenesis).
func (g *Genesis) GenesisBlock() *block.Block { return g.block }

// ID returns the genesis block's id (after Validate or LoadGenesis).
func (g *Genesis) ID() block.ID {
	if g.block == nil {
		return block.ID{}
	}
	return g.block.ID()
}

// ProducerSet returns the producers' keys and peer ids, in file order
// (after Validate or LoadGenesis).
func (g *Genesis) ProducerSet() ([]block.PublicKey, []link.PeerID) {
	return append([]block.PublicKey(nil), g.keys...), append([]link.PeerID(nil), g.peers...)
}

// WriteGenesis validates g and writes it as indented JSON to path, creating
// the directory if needed.
func WriteGenesis(path string, g *Genesis) error {
	if err := g.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("node: encoding genesis: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("node: genesis directory: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("node: writing genesis: %w", err)
	}
	return nil
}

// LoadGenesis reads and validates a genesis file. Unknown fields are errors.
func LoadGenesis(path string) (*Genesis, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &GenesisError{File: path, Problem: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Genesis
	if err := dec.Decode(&g); err != nil {
		return nil, &GenesisError{File: path, Problem: "not a genesis file: " + err.Error()}
	}
	if err := g.Validate(); err != nil {
		var ge *GenesisError
		if errors.As(err, &ge) {
			ge.File = path
		}
		return nil, err
	}
	return &g, nil
}
