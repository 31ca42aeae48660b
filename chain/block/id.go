package block

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// ID identifies a block: its height in the first 8 bytes (big-endian), then 24
// bytes of the header hash. The zero ID is the parent of the genesis block.
type ID [32]byte

// Hash is a 32-byte SHA-256 digest (transaction and state roots, set hashes).
type Hash [32]byte

// PublicKey is an ed25519 public key.
type PublicKey [32]byte

// Signature is an ed25519 signature.
type Signature [64]byte

// ZeroID is the parent id of the genesis block.
var ZeroID ID

// Height returns the height embedded in the id.
func (id ID) Height() uint64 { return binary.BigEndian.Uint64(id[:8]) }

// IsZero reports whether id is the zero id.
func (id ID) IsZero() bool { return id == ZeroID }

// String renders the id as height:first-8-hash-hex, short enough for logs.
func (id ID) String() string {
	return fmt.Sprintf("%d:%s", id.Height(), hex.EncodeToString(id[8:12]))
}

// Hex renders the full id in hex.
func (id ID) Hex() string { return hex.EncodeToString(id[:]) }

// Compare orders ids bytewise, which orders them by height first.
func (id ID) Compare(o ID) int {
	for i := range id {
		if id[i] != o[i] {
			if id[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ParseID parses the 64-hex-digit form produced by Hex.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("block: id %q is not 64 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}

// String renders the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// String renders the key in hex.
func (k PublicKey) String() string { return hex.EncodeToString(k[:]) }

func makeID(height uint64, digest [sha256.Size]byte) ID {
	var id ID
	binary.BigEndian.PutUint64(id[:8], height)
	copy(id[8:], digest[:24])
	return id
}
