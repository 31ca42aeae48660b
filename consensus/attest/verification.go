package attest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
)

// domainVerification separates verification signatures from every other
// signature a key makes (headers, BFT votes, routed data).
const domainVerification = "blockwire/attest/verification/v1"

// domainLower tags the digest of a level's verifications.
const domainLower = "blockwire/attest/lower/v1"

// verificationSize is an encoded Verification: block, level, lower digest,
// verifier, signature.
const verificationSize = 32 + 1 + 32 + 32 + 64

// Verification is one verifier's signed statement that it checked Block at
// Level: for the first level, the block against its own view of the chain;
// for the others, the verifications of the level below, whose digest is
// Lower. A chain of levels therefore signs over everything beneath it.
type Verification struct {
	Block    block.ID
	Level    uint8
	Lower    block.Hash
	Verifier block.PublicKey
	Sig      block.Signature
}

func (v *Verification) String() string {
	return fmt.Sprintf("L%d verification of %s by %x", v.Level, v.Block, v.Verifier[:4])
}

// SignBytes returns the bytes a verification signs: the domain tag, the
// chain id, the block id, the level and the lower digest. The chain id
// stops replays across chains that share keys; the level and lower digest
// bind the signature to one position in one proof.
func SignBytes(chain block.Hash, id block.ID, level uint8, lower block.Hash) []byte {
	b := make([]byte, 0, len(domainVerification)+32+32+1+32)
	b = append(b, domainVerification...)
	b = append(b, chain[:]...)
	b = append(b, id[:]...)
	b = append(b, level)
	return append(b, lower[:]...)
}

// Sign returns key's verification of id at level over lower.
func Sign(chain block.Hash, key ed25519.PrivateKey, id block.ID, level uint8, lower block.Hash) Verification {
	v := Verification{Block: id, Level: level, Lower: lower}
	copy(v.Verifier[:], key.Public().(ed25519.PublicKey))
	copy(v.Sig[:], ed25519.Sign(key, SignBytes(chain, id, level, lower)))
	return v
}

// Check verifies v's signature on chain.
func (v *Verification) Check(chain block.Hash) error {
	if err := v.check(chain); err != nil {
		return err
	}
	return nil
}

func (v *Verification) check(chain block.Hash) *Error {
	if !ed25519.Verify(v.Verifier[:], SignBytes(chain, v.Block, v.Level, v.Lower), v.Sig[:]) {
		return refuse(ReasonBadSignature, "%s", v)
	}
	return nil
}

// Digest is the lower digest a verification of the next level signs: a
// hash over the level's verifications in ascending verifier order (the
// order they are encoded in, so every node computes the same digest). The
// first level's lower set is empty: Digest(nil) is the hash of the tag.
func Digest(vs []Verification) block.Hash {
	h := sha256.New()
	h.Write([]byte(domainLower))
	for _, v := range sortedByVerifier(vs) {
		h.Write(v.AppendBinary(nil))
	}
	var d block.Hash
	h.Sum(d[:0])
	return d
}

func sortedByVerifier(vs []Verification) []Verification {
	if slices.IsSortedFunc(vs, cmpVerifier) {
		return vs
	}
	s := slices.Clone(vs)
	slices.SortFunc(s, cmpVerifier)
	return s
}

func cmpVerifier(a, b Verification) int { return bytes.Compare(a.Verifier[:], b.Verifier[:]) }

// AppendBinary appends v's fixed 161-byte encoding.
func (v *Verification) AppendBinary(b []byte) []byte {
	b = append(b, v.Block[:]...)
	b = append(b, v.Level)
	b = append(b, v.Lower[:]...)
	b = append(b, v.Verifier[:]...)
	return append(b, v.Sig[:]...)
}

func decodeVerification(b []byte) Verification {
	var v Verification
	copy(v.Block[:], b[0:32])
	v.Level = b[32]
	copy(v.Lower[:], b[33:65])
	copy(v.Verifier[:], b[65:97])
	copy(v.Sig[:], b[97:161])
	return v
}
