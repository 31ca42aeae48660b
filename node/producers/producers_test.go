package producers

import (
	"crypto/rand"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// producer is one node key with its peer id and block-signing key.
type producer struct {
	key crypto.PrivKey
	id  link.PeerID
	pub block.PublicKey
}

func newProducers(t *testing.T, n int) []producer {
	t.Helper()
	out := make([]producer, n)
	for i := range out {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		require.NoError(t, err)
		id, err := peer.IDFromPrivateKey(k)
		require.NoError(t, err)
		pk, err := prodset.PeerKey(string(id))
		require.NoError(t, err)
		out[i] = producer{key: k, id: id, pub: pk}
	}
	return out
}

func genesisOf(t *testing.T, ps []producer) *View {
	t.Helper()
	keys, ids := make([]block.PublicKey, len(ps)), make([]link.PeerID, len(ps))
	for i, p := range ps {
		keys[i], ids[i] = p.pub, p.id
	}
	v, err := Genesis(keys, ids)
	require.NoError(t, err)
	return v
}

// mapState is a prodset.State over a map.
type mapState map[string][]byte

func (m mapState) Get(k []byte) ([]byte, bool, error) { v, ok := m[string(k)]; return v, ok, nil }

// A View answers every lookup the node makes, by key, peer id and routing
// id; its routing ids are the ones the transport derives with libp2p.
func TestViewLooksUpProducersByKeyPeerAndRoute(t *testing.T) {
	ps := newProducers(t, 3)
	v := genesisOf(t, ps)
	require.Equal(t, 3, v.Len())
	require.Equal(t, v.Set().Hash(), v.Hash())
	require.Equal(t, v.Set().Keys(), v.Keys())
	require.Len(t, v.Peers(), 3)
	require.Len(t, v.Nodes(), 3)
	for _, p := range ps {
		require.True(t, v.Has(p.id))
		require.True(t, v.HasKey(p.pub))
		require.Equal(t, p.id, v.Peer(p.pub))
		id, ok := v.Node(p.id)
		require.True(t, ok)
		want, err := transport.NodeIDOf(p.id)
		require.NoError(t, err)
		require.Equal(t, want, id, "the routing id is the transport's")
		require.True(t, v.Routable(id))
	}
	other := newProducers(t, 1)[0]
	require.False(t, v.Has(other.id))
	require.False(t, v.HasKey(other.pub))
	require.Empty(t, v.Peer(other.pub))
	_, ok := v.Node(other.id)
	require.False(t, ok)
	require.False(t, v.Routable(route.NodeID(other.pub)))

	_, err := Genesis([]block.PublicKey{ps[0].pub}, nil)
	require.Error(t, err, "keys and peer ids must pair up")
	_, err = Genesis([]block.PublicKey{ps[0].pub, ps[0].pub}, []link.PeerID{ps[0].id, ps[1].id})
	require.Error(t, err, "a key listed twice")
}

// Read returns the genesis View itself when the state records no set,
// and the recorded set with its nonce otherwise.
func TestReadFollowsTheStateRecord(t *testing.T) {
	ps := newProducers(t, 3)
	gen := genesisOf(t, ps)
	v, nonce, err := ReadInForce(mapState{}, gen)
	require.NoError(t, err)
	require.Same(t, gen, v)
	require.Zero(t, nonce)

	next, err := gen.Set().Apply(prodset.Change{Op: prodset.OpRemove, Peer: string(ps[0].id), Nonce: 1})
	require.NoError(t, err)
	st := mapState{string(prodset.SetKey): next.Encode(), string(prodset.NonceKey): prodset.EncodeNonce(1)}
	v, nonce, err = ReadInForce(st, gen)
	require.NoError(t, err)
	require.Equal(t, uint64(1), nonce)
	require.Equal(t, next.Hash(), v.Hash())
	require.False(t, v.Has(ps[0].id))

	_, err = Read(mapState{string(prodset.SetKey): []byte{1, 2, 3}}, gen)
	require.Error(t, err, "a corrupt record is an error, not the genesis set")
}

// Compare: routes of removed producers retire, protection follows the
// set, and the node itself is never listed.
func TestCompareListsRetiredRoutesAndProtection(t *testing.T) {
	ps := newProducers(t, 4)
	old := genesisOf(t, ps[:3])
	added, err := old.Set().Apply(prodset.Change{Op: prodset.OpAdd, Peer: string(ps[3].id), Nonce: 1})
	require.NoError(t, err)
	both, err := added.Apply(prodset.Change{Op: prodset.OpRemove, Peer: string(ps[0].id), Nonce: 2})
	require.NoError(t, err)
	d := Compare(old, Wrap(both), ps[1].id)
	require.Equal(t, map[route.NodeID]bool{route.NodeID(ps[0].pub): true}, d.Retired)
	require.Equal(t, []link.PeerID{ps[3].id}, d.Protect)
	require.Equal(t, []link.PeerID{ps[0].id}, d.Unprotect)

	self := Compare(old, Wrap(both), ps[0].id)
	require.Empty(t, self.Unprotect, "a node never unprotects itself")
	require.Len(t, self.Retired, 1, "its own route retires like any other")
	same := Compare(old, old, ps[1].id)
	require.Empty(t, same.Retired)
	require.Empty(t, same.Protect)
	require.Empty(t, same.Unprotect)
}

// policyApp decides change authority itself.
type policyApp struct{}

func (policyApp) Authorize(prodset.Request) error { return nil }

// The change policy is the App's when it implements prodset.Policy, else
// the option's, else a majority of the producers in force; ChangeQuorum
// reads the quorum off it.
func TestPolicyForAndChangeQuorum(t *testing.T) {
	q, ok := PolicyFor(struct{}{}, nil).(prodset.Quorum)
	require.True(t, ok)
	require.Equal(t, 4, q.Size(6), "a majority of six")
	require.Equal(t, 4, ChangeQuorum(q, 6))
	require.Equal(t, 4, ChangeQuorum(prodset.Quorum{}, 6), "a nil size is the majority")
	two := prodset.Quorum{Size: prodset.TwoThirds}
	require.Equal(t, 5, PolicyFor(nil, two).(prodset.Quorum).Size(6), "two thirds of six")
	require.Equal(t, 5, ChangeQuorum(two, 6))
	require.Equal(t, policyApp{}, PolicyFor(policyApp{}, two), "the App's own policy wins")
	require.Zero(t, ChangeQuorum(policyApp{}, 6), "another policy has no signature count")
}

// A change transaction built here decodes, its shares verify, and a
// majority of the set authorises it; a non-ed25519 key cannot sign.
func TestChangeTxIsSignedByEachSigner(t *testing.T) {
	ps := newProducers(t, 4)
	gen := genesisOf(t, ps[:3])
	var chain block.ID
	chain[0] = 7
	tx, err := ChangeTx(chain, prodset.OpAdd, ps[3].id, 1, ps[0].key, ps[1].key)
	require.NoError(t, err)
	dt, ok, err := prodset.DecodeTx(tx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, dt.Sigs, 2)
	for _, s := range dt.Sigs {
		require.True(t, prodset.VerifySig(chain, dt.Change, s))
	}
	next, err := prodset.Verify(PolicyFor(nil, nil), chain, gen.Set(), 0, dt, mapState{})
	require.NoError(t, err)
	require.True(t, Wrap(next).Has(ps[3].id))

	one, err := ChangeTx(chain, prodset.OpAdd, ps[3].id, 1, ps[0].key)
	require.NoError(t, err)
	dt, _, err = prodset.DecodeTx(one)
	require.NoError(t, err)
	_, err = prodset.Verify(PolicyFor(nil, nil), chain, gen.Set(), 0, dt, mapState{})
	require.Error(t, err, "one of three is no majority")

	secp, _, err := crypto.GenerateSecp256k1Key(rand.Reader)
	require.NoError(t, err)
	_, err = SignChange(chain, dt.Change, secp)
	require.ErrorContains(t, err, "want ed25519")
}
