package node

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/consensus/prodset"
)

// keyOf returns a test node's node key.
func (tn *testNet) keyOf(n *Node) crypto.PrivKey {
	tn.t.Helper()
	for _, sp := range tn.specs {
		if sp.id == n.ID() {
			return sp.key
		}
	}
	tn.t.Fatalf("no test node %s", n.ID())
	return nil
}

// signedChange builds the change of who as change number nonce, signed by
// the node keys of signers.
func (tn *testNet) signedChange(op prodset.Op, who *Node, nonce uint64, signers ...*Node) []byte {
	t := tn.t
	t.Helper()
	keys := make([]crypto.PrivKey, len(signers))
	for i, s := range signers {
		keys[i] = tn.keyOf(s)
	}
	tx, err := ChangeProducersTx(tn.genesis.ID(), op, who.ID(), nonce, keys...)
	require.NoError(t, err)
	return tx
}

// quorumChange builds the change of who with via's next nonce, signed by a
// majority of the producers in force on via (the first ones by key).
func (tn *testNet) quorumChange(via *Node, op prodset.Op, who *Node) []byte {
	tn.t.Helper()
	cs := via.Consensus()
	var signers []*Node
	for _, p := range cs.Producers {
		if len(signers) == prodset.Majority(len(cs.Producers)) {
			break
		}
		for _, sp := range tn.specs {
			if sp.id.String() == p.PeerID && sp.n != nil {
				signers = append(signers, sp.n)
			}
		}
	}
	require.Len(tn.t, signers, prodset.Majority(len(cs.Producers)), "a running majority to sign")
	return tn.signedChange(op, who, cs.NextChangeNonce, signers...)
}

func requireRejected(t *testing.T, err error, reason prodset.Reason, msgAndArgs ...any) {
	t.Helper()
	require.ErrorIs(t, err, ErrTxRejected, msgAndArgs...)
	var te *TxRejectedError
	require.ErrorAs(t, err, &te, msgAndArgs...)
	require.Equal(t, string(reason), te.Reason, msgAndArgs...)
}
