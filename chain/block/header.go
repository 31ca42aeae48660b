package block

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
)

// HeaderSize is the length of a header's canonical bytes.
const HeaderSize = 216

const (
	domainID  = "blockwire/id/v1"
	domainSig = "blockwire/header-sig/v1"
)

// Header is a block header. Its canonical bytes (AppendCanonical) are what the
// id hashes and the producer signs; see the package doc for the layout.
type Header struct {
	Height uint64
	// Parent is the id of the previous block; ZeroID for genesis.
	Parent ID
	// Term is the CFT raft term or BFT view in which the block was produced.
	// Fork choice prefers the higher term before the greater height.
	Term     uint64
	Producer PublicKey
	// Timestamp is the producer's clock in unix nanoseconds.
	Timestamp int64
	TxRoot    Hash
	// StateRoot is the application state root after executing the parent.
	StateRoot Hash
	// Irreversible is the producer's view of the last irreversible block
	// (psibase's commitNum); its height is Irreversible.Height().
	Irreversible ID
	// ProducerSet is the hash of the producer set in force for this block.
	ProducerSet Hash
}

// AppendCanonical appends the header's canonical bytes to b.
func (h *Header) AppendCanonical(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, h.Height)
	b = append(b, h.Parent[:]...)
	b = binary.BigEndian.AppendUint64(b, h.Term)
	b = append(b, h.Producer[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Timestamp))
	b = append(b, h.TxRoot[:]...)
	b = append(b, h.StateRoot[:]...)
	b = append(b, h.Irreversible[:]...)
	b = append(b, h.ProducerSet[:]...)
	return b
}

// ID computes the header's id. It hashes the header every call; callers on a
// hot path keep the result (SignedHeader caches it).
func (h *Header) ID() ID {
	buf := make([]byte, 0, len(domainID)+HeaderSize)
	buf = append(buf, domainID...)
	buf = h.AppendCanonical(buf)
	return makeID(h.Height, sha256.Sum256(buf))
}

func (h *Header) signingBytes() []byte {
	buf := make([]byte, 0, len(domainSig)+HeaderSize)
	buf = append(buf, domainSig...)
	return h.AppendCanonical(buf)
}

// Sign signs the header with the producer's private key. The key's public half
// must equal h.Producer; Sign returns ErrWrongProducerKey otherwise.
func (h *Header) Sign(key ed25519.PrivateKey) (Signature, error) {
	var sig Signature
	if len(key) != ed25519.PrivateKeySize {
		return sig, ErrWrongProducerKey
	}
	var pub PublicKey
	copy(pub[:], key.Public().(ed25519.PublicKey))
	if pub != h.Producer {
		return sig, ErrWrongProducerKey
	}
	copy(sig[:], ed25519.Sign(key, h.signingBytes()))
	return sig, nil
}

// Verify reports whether sig is the producer's signature over the header.
func (h *Header) Verify(sig Signature) bool {
	return ed25519.Verify(h.Producer[:], h.signingBytes(), sig[:])
}

func decodeHeader(b []byte) Header {
	var h Header
	h.Height = binary.BigEndian.Uint64(b[0:8])
	copy(h.Parent[:], b[8:40])
	h.Term = binary.BigEndian.Uint64(b[40:48])
	copy(h.Producer[:], b[48:80])
	h.Timestamp = int64(binary.BigEndian.Uint64(b[80:88]))
	copy(h.TxRoot[:], b[88:120])
	copy(h.StateRoot[:], b[120:152])
	copy(h.Irreversible[:], b[152:184])
	copy(h.ProducerSet[:], b[184:216])
	return h
}
