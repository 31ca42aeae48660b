package engine

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftchain"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcast"
)

// A published certificate is relayed only if it decodes and its origin is
// a producer in force; an unknown origin is ignored (a producer a change
// added that this node does not know yet), garbage is rejected.
func TestCertTopicValidator(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var origin broadcast.NodeID
	copy(origin[:], pub)
	pid, err := transport.PeerIDOf([32]byte(origin))
	require.NoError(t, err)
	inForce := map[link.PeerID]bool{pid: true}
	tc := CertTopicConfig(func(p link.PeerID) bool { return inForce[p] })
	require.Equal(t, MaxCertSize, tc.MaxSize)

	cert := bftchain.EncodeCert(bftchain.Tag{1}, &bft.Certificate{Kind: bft.Finalize, View: 3,
		Block: block.ID{9}, SetSize: 1, Signers: []int{0}, Sigs: []block.Signature{{}}})
	require.Equal(t, broadcast.Accept, tc.Validator(origin, CertTopic, cert))
	require.Equal(t, broadcast.Reject, tc.Validator(origin, CertTopic, cert[:10]), "malformed")
	delete(inForce, pid)
	require.Equal(t, broadcast.Ignore, tc.Validator(origin, CertTopic, cert), "not a producer in force")
}
