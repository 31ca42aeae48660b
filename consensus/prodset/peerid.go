package prodset

import (
	"bytes"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// A libp2p peer id of an ed25519 key is the identity multihash (code 0x00,
// length 36) of the key's protobuf encoding: field 1 (KeyType) = 1
// (Ed25519), field 2 (Data) = the 32 key bytes. Decoding it here keeps
// this package on the standard library; peerid_test.go checks it against
// go-libp2p.
var ed25519PeerPrefix = []byte{0x00, 0x24, 0x08, 0x01, 0x12, 0x20}

// PeerKey returns the ed25519 key a raw libp2p peer id embeds.
func PeerKey(peer string) (block.PublicKey, error) {
	var k block.PublicKey
	if len(peer) != len(ed25519PeerPrefix)+len(k) || !bytes.HasPrefix([]byte(peer), ed25519PeerPrefix) {
		return k, fmt.Errorf("peer id %s does not embed an ed25519 key", PeerString(peer))
	}
	copy(k[:], peer[len(ed25519PeerPrefix):])
	return k, nil
}

// PeerOfKey returns the raw libp2p peer id of an ed25519 key.
func PeerOfKey(k block.PublicKey) string {
	return string(append(bytes.Clone(ed25519PeerPrefix), k[:]...))
}

// PeerString is the base58 text form libp2p prints for a raw peer id.
func PeerString(peer string) string { return base58([]byte(peer)) }

const b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 encodes b in the Bitcoin alphabet, as libp2p prints peer ids.
func base58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	digits := make([]byte, 0, len(b)*138/100+1) // little-endian base-58 digits
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, 0, zeros+len(digits))
	for range zeros {
		out = append(out, '1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out = append(out, b58Alphabet[digits[i]])
	}
	return string(out)
}
