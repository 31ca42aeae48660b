package rbc

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// MaxParticipants bounds a participant set (signer indexes are 16 bits).
const MaxParticipants = 1024

// Participants is the set of n participants of reliable broadcast, in a
// fixed order (a participant's index is its position), and the Bracha
// thresholds with f = ⌊(n−1)/3⌋. It is immutable and safe for concurrent
// use.
type Participants struct {
	keys  []ed25519.PublicKey
	index map[[32]byte]int
	hash  [32]byte
}

// NewParticipants returns the set of keys in the given order. Keys must be
// ed25519 public keys, distinct, 1 ≤ n ≤ MaxParticipants.
func NewParticipants(keys []ed25519.PublicKey) (*Participants, error) {
	if len(keys) == 0 || len(keys) > MaxParticipants {
		return nil, fmt.Errorf("rbc: %d participants, want 1..%d", len(keys), MaxParticipants)
	}
	p := &Participants{index: make(map[[32]byte]int, len(keys))}
	h := sha256.New()
	h.Write([]byte(setDomain))
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(keys))))
	for i, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("rbc: participant %d has a %d-byte key", i, len(k))
		}
		var a [32]byte
		copy(a[:], k)
		if _, dup := p.index[a]; dup {
			return nil, fmt.Errorf("rbc: participant %d repeats the key of participant %d", i, p.index[a])
		}
		p.index[a] = i
		p.keys = append(p.keys, append(ed25519.PublicKey(nil), k...))
		h.Write(k)
	}
	copy(p.hash[:], h.Sum(nil))
	return p, nil
}

// N is the number of participants.
func (p *Participants) N() int { return len(p.keys) }

// F is the number of byzantine participants tolerated, ⌊(n−1)/3⌋.
func (p *Participants) F() int { return (p.N() - 1) / 3 }

// EchoQuorum is ⌈(n+f+1)/2⌉: matching echoes that make a participant ready.
// Two such quorums share at least f+1 participants, one of them correct,
// and a correct participant echoes one digest per instance.
func (p *Participants) EchoQuorum() int { return (p.N() + p.F() + 2) / 2 }

// ReadyAmplify is f+1: matching readies that make a participant ready
// without the echo quorum (at least one of them is correct): totality.
func (p *Participants) ReadyAmplify() int { return p.F() + 1 }

// DeliverQuorum is 2f+1: matching readies that deliver, and the signer
// count of a certificate (at least f+1 of them are correct, so every
// correct participant will reach ReadyAmplify).
func (p *Participants) DeliverQuorum() int { return 2*p.F() + 1 }

// Key returns participant i's public key (nil outside the set). The slice
// must not be modified.
func (p *Participants) Key(i int) ed25519.PublicKey {
	if i < 0 || i >= p.N() {
		return nil
	}
	return p.keys[i]
}

// Index returns the index of the participant with public key k.
func (p *Participants) Index(k ed25519.PublicKey) (int, bool) {
	if len(k) != ed25519.PublicKeySize {
		return 0, false
	}
	var a [32]byte
	copy(a[:], k)
	i, ok := p.index[a]
	return i, ok
}

// Hash identifies the set (its keys in order); every signature covers it,
// so a signature made for one set never counts in another.
func (p *Participants) Hash() [32]byte { return p.hash }

// Domain tags keep an echo signature from ever verifying as a ready, a
// block, a vote or anything else the node key signs.
const (
	setDomain   = "blockwire/rbc/set/v1"
	echoDomain  = "blockwire/rbc/echo/v1"
	readyDomain = "blockwire/rbc/ready/v1"
)

// SignedBytes are the bytes a participant signs for an echo (ready false)
// or a ready (ready true): the domain tag, the caller's domain (the chain
// id), the set's hash, the instance (origin, seq) and the payload digest.
func SignedBytes(ready bool, domain [32]byte, set *Participants, inst Instance, d Digest) []byte {
	tag := echoDomain
	if ready {
		tag = readyDomain
	}
	b := make([]byte, 0, len(tag)+32+32+2+8+32)
	b = append(b, tag...)
	b = append(b, domain[:]...)
	b = append(b, set.hash[:]...)
	b = binary.BigEndian.AppendUint16(b, inst.Origin)
	b = binary.BigEndian.AppendUint64(b, inst.Seq)
	return append(b, d[:]...)
}

// Signer signs our echoes and readies. It must sign as Config.Key: the
// core checks nothing it returns. A Signer is called from the core's
// goroutine only.
type Signer interface {
	Sign(msg []byte) Sig
}

// Verifier checks a signature. Implementations must be pure (the same
// answer for the same input); a simulator may cache.
type Verifier interface {
	Verify(pub ed25519.PublicKey, msg []byte, sig Sig) bool
}

// Ed25519 is the default Verifier.
type Ed25519 struct{}

// Verify implements Verifier.
func (Ed25519) Verify(pub ed25519.PublicKey, msg []byte, sig Sig) bool {
	return ed25519.Verify(pub, msg, sig[:])
}

// KeySigner is the default Signer: ed25519 with a private key.
type KeySigner struct{ Key ed25519.PrivateKey }

// Sign implements Signer.
func (k KeySigner) Sign(msg []byte) (s Sig) {
	copy(s[:], ed25519.Sign(k.Key, msg))
	return s
}

var (
	_ Signer   = KeySigner{}
	_ Verifier = Ed25519{}
)
