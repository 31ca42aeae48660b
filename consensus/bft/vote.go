package bft

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// Kind is what a vote or certificate says about a view.
type Kind uint8

// Kinds.
const (
	// Notarize: "this is the one block I accept for the view" (the
	// leader's own notarize vote is its proposal).
	Notarize Kind = 1
	// Nullify: "the view timed out for me; move on without a block". Since
	// wire version 2 a nullify vote also signs its report: the block its
	// signer notarized in the view, or zero for none (the fast path's
	// safety rests on it; doc.go).
	Nullify Kind = 2
	// Finalize: "I saw the view's block notarized and never nullified the
	// view". A quorum makes the block and its ancestors final.
	Finalize Kind = 3
)

func (k Kind) String() string {
	switch k {
	case Notarize:
		return "notarize"
	case Nullify:
		return "nullify"
	case Finalize:
		return "finalize"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k >= Notarize && k <= Finalize }

// domainVote separates vote signatures from every other signature a
// producer key makes (headers sign "blockwire/header-sig/v1").
const domainVote = "blockwire/bft/vote/v2"

// signedVoteSize is the length of the bytes a vote signs.
const signedVoteSize = len(domainVote) + 32 + 1 + 8 + 32

// VoteBytes returns the bytes a vote signs: the domain tag, the chain id,
// the kind, the view (big-endian) and the block id (zero for nullify). The
// chain id keeps a vote from being replayed on another chain with the same
// keys; the view and block bind it to exactly one decision.
func VoteBytes(chain block.Hash, k Kind, view uint64, id block.ID) []byte {
	b := make([]byte, 0, signedVoteSize)
	b = append(b, domainVote...)
	b = append(b, chain[:]...)
	b = append(b, byte(k))
	b = binary.BigEndian.AppendUint64(b, view)
	return append(b, id[:]...)
}

// Vote is one producer's signed vote.
type Vote struct {
	Kind Kind
	View uint64
	// Block is the block voted for; for Nullify the report: the block the
	// signer notarized in the view, zero if none.
	Block block.ID
	// Signer is the voter's index in the Set.
	Signer uint16
	Sig    block.Signature
}

func (v *Vote) String() string {
	return fmt.Sprintf("%s(v%d %s by %d)", v.Kind, v.View, v.Block, v.Signer)
}

// check validates the vote's shape (not its signature).
func (v *Vote) check() error {
	if !v.Kind.valid() {
		return refuse(ReasonMalformed, "vote kind %d", v.Kind)
	}
	if v.Kind != Nullify && v.Block.IsZero() {
		return refuse(ReasonMalformed, "%s vote with block %s", v.Kind, v.Block)
	}
	if v.View == 0 {
		return refuse(ReasonMalformed, "vote for view 0")
	}
	return nil
}

// Verifier checks ed25519 signatures. The engine calls it for every
// signature it counts; Ed25519 is the only implementation in the product.
// Tests may wrap it (for instance with a cache shared by simulated nodes);
// a wrapper must return exactly what ed25519.Verify returns.
type Verifier interface {
	Verify(key block.PublicKey, msg []byte, sig block.Signature) bool
}

// Ed25519 is the standard-library ed25519 Verifier.
type Ed25519 struct{}

// Verify implements Verifier.
func (Ed25519) Verify(key block.PublicKey, msg []byte, sig block.Signature) bool {
	return ed25519.Verify(key[:], msg, sig[:])
}

func signVote(key ed25519.PrivateKey, chain block.Hash, k Kind, view uint64, id block.ID, signer int) Vote {
	return signWith(keySigner{key}, chain, k, view, id, signer)
}

func signWith(s Signer, chain block.Hash, k Kind, view uint64, id block.ID, signer int) Vote {
	return Vote{Kind: k, View: view, Block: id, Signer: uint16(signer), Sig: s.Sign(VoteBytes(chain, k, view, id))}
}

// Signer makes this producer's signatures. The product signs with
// Config.Key; a driver may plug in a remote signer or HSM, and tests a
// cache. Implementations must return exactly ed25519.Sign(Key, msg) (ed25519
// is deterministic, which also makes a retransmitted vote byte-identical).
type Signer interface {
	Sign(msg []byte) block.Signature
}

type keySigner struct{ key ed25519.PrivateKey }

func (k keySigner) Sign(msg []byte) block.Signature {
	var sig block.Signature
	copy(sig[:], ed25519.Sign(k.key, msg))
	return sig
}
