package bftchain

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
)

// CertVersion is the version byte of a block certificate.
const CertVersion = 1

// EncodeCert is the certificate a block body carries (block.Block's
// Certificate field): version (1), the tag of the epoch whose set made
// the certificate (32), then the certificate (bft.Certificate.AppendBinary:
// kind, view, block, set size, signer bitmap, signatures). Only
// finalizations are carried: a finalization certificate, or a fast
// finalization (a notarization signed by every producer of a plain set;
// consensus/bft's fast path).
func EncodeCert(tag Tag, c *bft.Certificate) []byte {
	b := append([]byte{CertVersion}, tag[:]...)
	return c.AppendBinary(b)
}

// DecodeCert parses a block certificate (shape only: VerifyCert checks it
// against a set).
func DecodeCert(b []byte) (Tag, *bft.Certificate, error) {
	var tag Tag
	if len(b) < 1+len(tag) {
		return tag, nil, &Error{Reason: ReasonMalformed, Detail: fmt.Sprintf("block certificate of %d bytes", len(b))}
	}
	if b[0] != CertVersion {
		return tag, nil, &Error{Reason: ReasonVersion, Detail: fmt.Sprintf("block certificate version %d", b[0])}
	}
	copy(tag[:], b[1:])
	c, err := bft.DecodeCertificate(b[1+len(tag):])
	if err != nil {
		return tag, nil, &Error{Reason: ReasonMalformed, Detail: err.Error()}
	}
	if c.Kind != bft.Finalize && c.Kind != bft.Notarize {
		return tag, nil, &Error{Reason: ReasonMalformed, Detail: fmt.Sprintf("a block carries %s", c)}
	}
	return tag, c, nil
}

// VerifyCert decodes a block certificate and verifies it against epoch on
// the chain: the tag must be the epoch's, and the certificate must pass
// bft.Certificate.Verify entirely. The block it finalizes is c.Block, of
// view c.View.
func VerifyCert(chain block.Hash, b []byte, epoch *Epoch) (*bft.Certificate, error) {
	tag, c, err := DecodeCert(b)
	if err != nil {
		return nil, err
	}
	if tag != epoch.Tag {
		return nil, &Error{Reason: ReasonUnknownSet, Detail: fmt.Sprintf("certificate of epoch %x, verifying against %x", tag[:4], epoch.Tag[:4])}
	}
	if err := c.Verify(chain, epoch.Set, bft.Ed25519{}); err != nil {
		return nil, &Error{Reason: ReasonBadCert, Detail: err.Error()}
	}
	if !c.Finalizes(epoch.Set, c.View, c.Block) {
		// A notarization by fewer than every producer proves nothing final.
		return nil, &Error{Reason: ReasonBadCert, Detail: fmt.Sprintf("%s is not a finalization (a notarization counts only signed by all %d producers of a plain set)", c, epoch.Set.Len())}
	}
	return c, nil
}
