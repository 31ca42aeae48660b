package prodset

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/blockwire/blockwire/chain/block"
)

// Op is a producer-set change operation.
type Op byte

// Operations.
const (
	// OpAdd makes a peer a producer.
	OpAdd Op = 1
	// OpRemove takes a producer out of the set.
	OpRemove Op = 2
)

func (o Op) String() string {
	switch o {
	case OpAdd:
		return "add"
	case OpRemove:
		return "remove"
	}
	return fmt.Sprintf("op(%d)", byte(o))
}

// Change is one producer-set change: add or remove the producer with the
// raw libp2p peer id Peer (which embeds its ed25519 block-signing key).
// Nonce is the change's sequence number on the chain: the first change
// has nonce 1 and each applied change must carry the last applied nonce
// plus one, so a change, once applied, can never be applied again, and a
// signature made for one position in the sequence is void after it.
type Change struct {
	Op    Op
	Peer  string
	Nonce uint64
}

// Signature is one signer's ed25519 signature over SigningBytes.
type Signature struct {
	Key block.PublicKey
	Sig block.Signature
}

// Tx is a decoded change transaction: the change and its signatures.
type Tx struct {
	Change Change
	Sigs   []Signature
}

// Limits of the transaction encoding.
const (
	// MaxPeerLen bounds a peer id (an ed25519 peer id is 38 bytes).
	MaxPeerLen = 128
	// MaxSigs bounds the signatures in one change transaction.
	MaxSigs = 256
)

// TxPrefix starts every producer-set change transaction (version 3).
//
//	"blockwire/prodset/change/v3"
//	1 byte   op (1 add, 2 remove)
//	uvarint  length, then the raw libp2p peer id (1..MaxPeerLen bytes)
//	uvarint  nonce (the change's sequence number, from 1)
//	uvarint  signature count (0..MaxSigs)
//	per signature: 32-byte ed25519 public key, 64-byte signature
//
// Nothing may follow. Every uvarint is minimal and the signatures are in
// strictly ascending key order (so no key signs twice): each change and
// set of signatures has exactly one encoding, which EncodeTx writes and
// DecodeTx insists on.
const TxPrefix = "blockwire/prodset/change/v3"

// LegacyTxPrefix starts the unsigned change transaction of version 2
// ("blockwire/cft/change/v2"). It carries no authority: DecodeTx refuses it
// with ReasonUnsigned.
const LegacyTxPrefix = "blockwire/cft/change/v2"

// sigDomain separates change signatures from every other ed25519
// signature a node key makes (block headers, the link handshake).
const sigDomain = "blockwire/prodset/change-sig/v1"

// IsChangeTx reports whether tx claims to be a producer-set change (any
// version), whether or not it decodes.
func IsChangeTx(tx []byte) bool {
	return bytes.HasPrefix(tx, []byte(TxPrefix)) || bytes.HasPrefix(tx, []byte(LegacyTxPrefix))
}

// SigningBytes are the bytes a signer signs for change c on the chain whose
// genesis block is chain:
//
//	"blockwire/prodset/change-sig/v1" || chain (32) || op (1) ||
//	uvarint length || peer || nonce (8, big-endian)
func SigningBytes(chain block.ID, c Change) []byte {
	b := make([]byte, 0, len(sigDomain)+32+1+1+len(c.Peer)+8)
	b = append(b, sigDomain...)
	b = append(b, chain[:]...)
	b = append(b, byte(c.Op))
	b = binary.AppendUvarint(b, uint64(len(c.Peer)))
	b = append(b, c.Peer...)
	return binary.BigEndian.AppendUint64(b, c.Nonce)
}

// Sign returns key's signature share for c on chain.
func Sign(chain block.ID, c Change, key ed25519.PrivateKey) Signature {
	var s Signature
	copy(s.Key[:], key.Public().(ed25519.PublicKey))
	copy(s.Sig[:], ed25519.Sign(key, SigningBytes(chain, c)))
	return s
}

// VerifySig reports whether s is a valid signature over c on chain.
func VerifySig(chain block.ID, c Change, s Signature) bool {
	return ed25519.Verify(s.Key[:], SigningBytes(chain, c), s.Sig[:])
}

func (c Change) check() error {
	switch {
	case c.Op != OpAdd && c.Op != OpRemove:
		return fmt.Errorf("unknown operation %d", c.Op)
	case c.Peer == "" || len(c.Peer) > MaxPeerLen:
		return fmt.Errorf("peer id of %d bytes (1..%d)", len(c.Peer), MaxPeerLen)
	case c.Nonce == 0:
		return fmt.Errorf("nonce 0 (nonces start at 1)")
	}
	return nil
}

// EncodeTx returns the transaction for c with sigs (sorted by key; the
// caller's slice is not changed).
func EncodeTx(c Change, sigs []Signature) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("prodset: %w", err)
	}
	if len(sigs) > MaxSigs {
		return nil, fmt.Errorf("prodset: %d signatures, at most %d", len(sigs), MaxSigs)
	}
	sorted := slices.Clone(sigs)
	slices.SortFunc(sorted, func(a, b Signature) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Key == sorted[i-1].Key {
			return nil, fmt.Errorf("prodset: %s signed twice", sorted[i].Key)
		}
	}
	b := make([]byte, 0, len(TxPrefix)+1+1+len(c.Peer)+10+2+len(sigs)*96)
	b = append(b, TxPrefix...)
	b = append(b, byte(c.Op))
	b = binary.AppendUvarint(b, uint64(len(c.Peer)))
	b = append(b, c.Peer...)
	b = binary.AppendUvarint(b, c.Nonce)
	b = binary.AppendUvarint(b, uint64(len(sorted)))
	for _, s := range sorted {
		b = append(b, s.Key[:]...)
		b = append(b, s.Sig[:]...)
	}
	return b, nil
}

// DecodeTx decodes a change transaction. ok is false when tx is no change
// transaction at all (neither prefix). err is a *Error when it claims to be
// one but cannot take effect as encoded: ReasonUnsigned for version 2,
// ReasonMalformed for bad bytes. It checks the encoding only; Verify
// checks the change against the chain.
func DecodeTx(tx []byte) (t Tx, ok bool, err error) {
	if bytes.HasPrefix(tx, []byte(LegacyTxPrefix)) {
		return Tx{}, true, &Error{Reason: ReasonUnsigned, Detail: "a version 2 change transaction carries no signatures; sign a version 3 one (" + TxPrefix + ")"}
	}
	rest, found := bytes.CutPrefix(tx, []byte(TxPrefix))
	if !found {
		return Tx{}, false, nil
	}
	t, err = decodeBody(rest)
	if err != nil {
		return Tx{}, true, &Error{Reason: ReasonMalformed, Detail: "change transaction: " + err.Error()}
	}
	return t, true, nil
}

func decodeBody(b []byte) (Tx, error) {
	var t Tx
	if len(b) < 1 {
		return t, fmt.Errorf("truncated")
	}
	t.Change.Op, b = Op(b[0]), b[1:]
	n, w := uvarint(b)
	if w <= 0 || n > MaxPeerLen || n > uint64(len(b)-w) {
		return t, fmt.Errorf("bad peer id length")
	}
	t.Change.Peer, b = string(b[w:w+int(n)]), b[w+int(n):]
	if t.Change.Nonce, w = uvarint(b); w <= 0 {
		return t, fmt.Errorf("bad nonce")
	}
	b = b[w:]
	if err := t.Change.check(); err != nil {
		return t, err
	}
	count, w := uvarint(b)
	if w <= 0 || count > MaxSigs {
		return t, fmt.Errorf("bad signature count")
	}
	b = b[w:]
	if uint64(len(b)) != count*96 {
		return t, fmt.Errorf("%d bytes of signatures for %d signatures", len(b), count)
	}
	t.Sigs = make([]Signature, count)
	for i := range t.Sigs {
		copy(t.Sigs[i].Key[:], b[:32])
		copy(t.Sigs[i].Sig[:], b[32:96])
		b = b[96:]
		if i > 0 && bytes.Compare(t.Sigs[i-1].Key[:], t.Sigs[i].Key[:]) >= 0 {
			return t, fmt.Errorf("signatures not in strictly ascending key order")
		}
	}
	return t, nil
}

// uvarint reads a minimal uvarint; n <= 0 means it is missing, overlong
// or non-minimal.
func uvarint(b []byte) (uint64, int) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		return 0, -1
	}
	return v, n
}
