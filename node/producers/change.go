package producers

import (
	"crypto/ed25519"
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
)

// ChangeTx returns the producer-set change transaction (version 3,
// docs/protocol.md) that adds (prodset.OpAdd) or removes (prodset.OpRemove)
// the producer with peer id id as change number nonce of the chain whose
// genesis block is chain, signed by each of signers (node keys). It takes
// effect only if the signers are a quorum of the producer set in force —
// or whatever the chain's policy wants — and nonce is the next change
// nonce. To collect signatures on several machines, have each signer call
// SignChange and combine the shares with prodset.EncodeTx.
func ChangeTx(chain block.ID, op prodset.Op, id link.PeerID, nonce uint64, signers ...crypto.PrivKey) ([]byte, error) {
	c := prodset.Change{Op: op, Peer: string(id), Nonce: nonce}
	sigs := make([]prodset.Signature, 0, len(signers))
	for _, k := range signers {
		s, err := SignChange(chain, c, k)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s)
	}
	return prodset.EncodeTx(c, sigs)
}

// SignChange returns the signature share of node key key for change c on
// the chain whose genesis block is chain. Only ed25519 keys sign.
func SignChange(chain block.ID, c prodset.Change, key crypto.PrivKey) (prodset.Signature, error) {
	if key.Type() != crypto.Ed25519 {
		return prodset.Signature{}, fmt.Errorf("node: signing key is %v, want ed25519", key.Type())
	}
	raw, err := key.Raw()
	if err != nil {
		return prodset.Signature{}, fmt.Errorf("node: signing key: %w", err)
	}
	return prodset.Sign(chain, c, ed25519.PrivateKey(raw)), nil
}

// PolicyFor is the policy that decides a change's authority: the App's
// if it implements prodset.Policy, else opt (node.WithChangePolicy's)
// when not nil, else a majority of the producers in force (the CFT
// quorum).
func PolicyFor(app any, opt prodset.Policy) prodset.Policy {
	if p, ok := app.(prodset.Policy); ok {
		return p
	}
	if opt != nil {
		return opt
	}
	return prodset.Quorum{Size: prodset.Majority}
}

// ChangeQuorum is how many of n producers in force must sign a change
// under policy p; 0 when p is not a prodset.Quorum (the policy decides by
// other means: stake, an on-chain vote).
func ChangeQuorum(p prodset.Policy, n int) int {
	q, ok := p.(prodset.Quorum)
	switch {
	case !ok:
		return 0
	case q.Size == nil:
		return prodset.Majority(n)
	}
	return q.Size(n)
}
