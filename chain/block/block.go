package block

import (
	"crypto/ed25519"
	"fmt"
)

// SignedHeader is a header with its producer's signature. It is what backup
// connections carry instead of whole blocks and what forkdb stores.
type SignedHeader struct {
	Header
	Signature Signature
}

// Block is a signed header and its body.
//
// A Block is immutable once built or decoded: every layer shares the same
// value (and its transaction slices) without copying, so no holder may modify
// it.
type Block struct {
	SignedHeader
	// Txs are the transactions, opaque to this package.
	Txs [][]byte
	// Certificate is an opaque BFT commit certificate for an earlier block;
	// empty under CFT.
	Certificate []byte
}

// Check validates what a block says about itself, without any chain context:
// the height follows the parent's, the irreversible block is below it, the
// transaction root matches the body, and the producer's signature is valid.
// It returns a *Error naming the first failure.
func (b *Block) Check() error {
	if err := b.SignedHeader.Check(); err != nil {
		return err
	}
	if root := TxRoot(b.Txs); root != b.TxRoot {
		return &Error{Reason: ReasonTxRoot, Detail: fmt.Sprintf("header %s, body %s", b.TxRoot, root)}
	}
	return nil
}

// Check validates a signed header on its own: height linkage, the
// irreversible field, and the signature.
func (s *SignedHeader) Check() error {
	if s.Height != s.Parent.Height()+1 {
		return &Error{Reason: ReasonHeight, Detail: fmt.Sprintf("height %d, parent %s", s.Height, s.Parent)}
	}
	if s.Irreversible.Height() >= s.Height {
		return &Error{Reason: ReasonIrreversible, Detail: fmt.Sprintf("irreversible %s at or above height %d", s.Irreversible, s.Height)}
	}
	if !s.Verify(s.Signature) {
		return &Error{Reason: ReasonSignature, Detail: fmt.Sprintf("block %s by %s", s.ID(), s.Producer)}
	}
	return nil
}

// Seal computes the transaction root, then signs the header with key, whose
// public half becomes the producer. It is how a producer finishes a block.
func Seal(h Header, txs [][]byte, cert []byte, key ed25519.PrivateKey) (*Block, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, ErrWrongProducerKey
	}
	copy(h.Producer[:], key.Public().(ed25519.PublicKey))
	h.TxRoot = TxRoot(txs)
	sig, err := h.Sign(key)
	if err != nil {
		return nil, err
	}
	return &Block{SignedHeader: SignedHeader{Header: h, Signature: sig}, Txs: txs, Certificate: cert}, nil
}

// BodySize returns the number of bytes of transactions and certificate, the
// figure that matters for bandwidth accounting.
func (b *Block) BodySize() int {
	n := len(b.Certificate)
	for _, tx := range b.Txs {
		n += len(tx)
	}
	return n
}
