package broadcast

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
)

// digestDomain keeps a broadcast signature from ever verifying as a route
// announcement, a block signature, or anything else the node key signs.
const digestDomain = "blockwire/broadcast/v1"

// Message is a broadcast message as its origin signed it. Relays never
// change it: the frame around it (Push) carries what varies per hop.
// Payload is shared by the cache, deliveries and every copy being sent:
// read it, never modify it.
type Message struct {
	Topic   Topic
	Origin  NodeID
	Seq     uint64
	Payload []byte
	Sig     [sigLen]byte

	digest Digest // computed once by Digest
	hashed bool
}

// Digest returns the message's name: sha256(domain ‖ topic ‖ origin ‖ seq ‖
// payload). It is computed once and remembered; a Message must not be
// modified after its first call.
func (m *Message) Digest() Digest {
	if !m.hashed {
		h := sha256.New()
		var b [len(digestDomain) + 2 + 32 + 8]byte
		n := copy(b[:], digestDomain)
		binary.BigEndian.PutUint16(b[n:], uint16(m.Topic))
		copy(b[n+2:], m.Origin[:])
		binary.BigEndian.PutUint64(b[n+34:], m.Seq)
		h.Write(b[:])
		h.Write(m.Payload)
		h.Sum(m.digest[:0])
		m.hashed = true
	}
	return m.digest
}

// Size is the bytes the message occupies in the cache and on the wire (its
// Push frame without the per-hop header).
func (m *Message) Size() int { return messageFixedLen + len(m.Payload) }

// Sign sets the message's signature with the origin's key. Origin must be
// key's public half.
func (m *Message) Sign(key ed25519.PrivateKey) {
	d := m.Digest()
	copy(m.Sig[:], ed25519.Sign(key, d[:]))
}

// Verify checks the signature against Origin.
func (m *Message) Verify() bool {
	d := m.Digest()
	return ed25519.Verify(m.Origin[:], d[:], m.Sig[:])
}

// seqTime is the send time in milliseconds a sequence number carries in its
// upper 48 bits (see Engine.nextSeq).
func seqTime(seq uint64) int64 { return int64(seq >> 16) }
