package block

import (
	"encoding/hex"
	"fmt"
)

// Ids, hashes and keys marshal as lowercase hex in JSON, TOML and logs, and
// parse back from the same. A zero value marshals as 64 zeros.

// MarshalText renders the full id in hex.
func (id ID) MarshalText() ([]byte, error) { return hexText(id[:]), nil }

// UnmarshalText parses 64 hex digits.
func (id *ID) UnmarshalText(b []byte) error { return parseHex(id[:], b, "id") }

// MarshalText renders the hash in hex.
func (h Hash) MarshalText() ([]byte, error) { return hexText(h[:]), nil }

// UnmarshalText parses 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error { return parseHex(h[:], b, "hash") }

// MarshalText renders the key in hex.
func (k PublicKey) MarshalText() ([]byte, error) { return hexText(k[:]), nil }

// UnmarshalText parses 64 hex digits.
func (k *PublicKey) UnmarshalText(b []byte) error { return parseHex(k[:], b, "public key") }

// ParseHash parses the 64-hex-digit form of a hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	return h, h.UnmarshalText([]byte(s))
}

func hexText(b []byte) []byte {
	out := make([]byte, hex.EncodedLen(len(b)))
	hex.Encode(out, b)
	return out
}

func parseHex(dst, src []byte, what string) error {
	if hex.DecodedLen(len(src)) != len(dst) {
		return fmt.Errorf("block: %s %q is not %d hex digits", what, src, 2*len(dst))
	}
	if _, err := hex.Decode(dst, src); err != nil {
		return fmt.Errorf("block: %s %q is not hex: %w", what, src, err)
	}
	return nil
}
