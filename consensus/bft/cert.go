package bft

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/quorum"
)

// Certificate is a quorum of votes of one kind for one view (and block):
// the individual ed25519 signatures of its signers, in ascending signer
// order. Individual signatures (not a threshold signature) keep every vote
// attributable, so a certificate is also evidence; later blocks carry
// finalization certificates so a follower or light client checks finality
// from blocks alone, with Verify and the producer set.
type Certificate struct {
	Kind  Kind
	View  uint64
	Block block.ID // zero for a nullification
	// SetSize is the size of the signer index space the certificate was
	// made for; Verify refuses it against a set of another size.
	SetSize int
	// Signers are signer indexes, strictly ascending; Sigs[i] is Signers[i]'s.
	Signers []int
	Sigs    []block.Signature
	// Reports, for a nullification only, are what each signer reported it
	// notarized in the view (Reports[i] is Signers[i]'s; zero for none):
	// each signature covers its own report. Nil for the other kinds.
	Reports []block.ID
}

func (c *Certificate) String() string {
	return fmt.Sprintf("%s-cert(v%d %s, %d signers)", c.Kind, c.View, c.Block, len(c.Signers))
}

// Verify checks c against set on the chain: its shape, that every signer is
// a member and listed once, that the signers meet the set's quorum rule
// (both sets' quorums while joint), and every signature over exactly c's
// kind, view and block. Nothing about c may be used unless Verify returned
// nil; there is no partial success.
func (c *Certificate) Verify(chain block.Hash, set *Set, v Verifier) error {
	if err := c.checkShape(set); err != nil {
		return err
	}
	for i, s := range c.Signers {
		if !v.Verify(set.Key(s), c.signedBy(chain, i), c.Sigs[i]) {
			return refuse(ReasonBadSignature, "%s: signer %d", c, s)
		}
	}
	return nil
}

// signedBy returns the bytes the i-th signer signed: the certificate's
// kind, view and block, or for a nullification that signer's report.
func (c *Certificate) signedBy(chain block.Hash, i int) []byte {
	if c.Kind == Nullify {
		return VoteBytes(chain, Nullify, c.View, c.Reports[i])
	}
	return VoteBytes(chain, c.Kind, c.View, c.Block)
}

// checkShape is Verify without the signatures.
func (c *Certificate) checkShape(set *Set) error {
	if !c.Kind.valid() || c.View == 0 || (c.Kind == Nullify) != c.Block.IsZero() {
		return refuse(ReasonMalformed, "%s", c)
	}
	if c.SetSize != set.Len() {
		return refuse(ReasonWrongSet, "%s made for %d signers, set has %d", c, c.SetSize, set.Len())
	}
	if len(c.Signers) != len(c.Sigs) {
		return refuse(ReasonMalformed, "%s: %d signers, %d signatures", c, len(c.Signers), len(c.Sigs))
	}
	if (c.Kind == Nullify && len(c.Reports) != len(c.Signers)) || (c.Kind != Nullify && c.Reports != nil) {
		return refuse(ReasonMalformed, "%s: %d reports for %d signers", c, len(c.Reports), len(c.Signers))
	}
	signed := quorum.NewBitmap(set.Len())
	for i, s := range c.Signers {
		if s < 0 || s >= set.Len() || !set.Rule().Contains(s) {
			return refuse(ReasonNonMember, "%s: signer %d", c, s)
		}
		if i > 0 && s == c.Signers[i-1] {
			return refuse(ReasonDuplicate, "%s: signer %d twice", c, s)
		}
		if i > 0 && s < c.Signers[i-1] {
			return refuse(ReasonMalformed, "%s: signers not ascending", c)
		}
		signed.Set(s)
	}
	if !set.Rule().Met(signed) {
		return refuse(ReasonNoQuorum, "%s", c)
	}
	return nil
}

// ForBlock reports whether c finalizes (or notarizes) exactly id in view.
// Callers check this after Verify: a valid certificate for another block
// or view proves nothing about id.
func (c *Certificate) ForBlock(k Kind, view uint64, id block.ID) bool {
	return c.Kind == k && c.View == view && c.Block == id
}

// Fast reports whether c, once verified against set, is a fast
// finalization: a notarization signed by every signer of a plain set
// (doc.go, "Fast path"). Under a joint set the fast path is off.
func (c *Certificate) Fast(set *Set) bool {
	return c.Kind == Notarize && !set.Joint() && c.SetSize == set.Len() && len(c.Signers) == set.Len()
}

// Finalizes reports whether c, once verified against set, makes exactly
// id of view final: a finalization of it, or a fast finalization of it.
// Callers (followers, light clients, restarts) check this after Verify.
func (c *Certificate) Finalizes(set *Set, view uint64, id block.ID) bool {
	return c.ForBlock(Finalize, view, id) || (c.ForBlock(Notarize, view, id) && c.Fast(set))
}
