package producers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// View is an immutable prodset.Set with the lookups the node makes on
// every block, link and routed message: by block-signing key, by link
// peer id and by routing id.
//
// Invariant: keys and peers are inverse maps over the set's members;
// routes holds exactly the values of nodes; hash is the set's Hash.
type View struct {
	set   *prodset.Set
	keys  map[block.PublicKey]link.PeerID
	peers map[link.PeerID]block.PublicKey
	// nodes are the producers' routing ids (their node keys), for the
	// members whose peer id embeds an ed25519 key.
	nodes map[link.PeerID]route.NodeID
	// routes admits the producers' routing ids (route.Config.Admit).
	routes map[route.NodeID]bool
	hash   block.Hash
}

// Wrap returns the View of set.
func Wrap(set *prodset.Set) *View {
	v := &View{set: set, keys: map[block.PublicKey]link.PeerID{}, peers: map[link.PeerID]block.PublicKey{},
		nodes: map[link.PeerID]route.NodeID{}, routes: map[route.NodeID]bool{}, hash: set.Hash()}
	for _, m := range set.Members() {
		p := link.PeerID(m.Peer)
		v.keys[m.Key] = p
		v.peers[p] = m.Key
		// A routing id is the ed25519 key the peer id embeds
		// (transport.NodeIDOf, decoded here without libp2p).
		if k, err := prodset.PeerKey(m.Peer); err == nil {
			id := route.NodeID(k)
			v.nodes[p] = id
			v.routes[id] = true
		}
	}
	return v
}

// Genesis returns the View of a validated genesis's producers: keys[i]
// with peer id peers[i].
func Genesis(keys []block.PublicKey, peers []link.PeerID) (*View, error) {
	if len(keys) != len(peers) {
		return nil, fmt.Errorf("producers: %d genesis keys but %d peer ids", len(keys), len(peers))
	}
	ms := make([]prodset.Member, len(keys))
	for i, k := range keys {
		ms[i] = prodset.Member{Key: k, Peer: string(peers[i])}
	}
	set, err := prodset.NewSet(ms)
	if err != nil {
		return nil, fmt.Errorf("node: genesis producer set: %w", err)
	}
	return Wrap(set), nil
}

// Read returns the View of the producer set recorded in st; genesis
// itself (the same pointer) when none is recorded.
func Read(st prodset.State, genesis *View) (*View, error) {
	set, err := prodset.ReadSet(st, genesis.set)
	if err != nil {
		return nil, err
	}
	if set == genesis.set {
		return genesis, nil
	}
	return Wrap(set), nil
}

// ReadInForce returns the View recorded in st and the nonce of the last
// producer-set change applied there (prodset.NonceKey; 0: none).
func ReadInForce(st prodset.State, genesis *View) (*View, uint64, error) {
	v, err := Read(st, genesis)
	if err != nil {
		return nil, 0, err
	}
	nonce, err := prodset.ReadNonce(st)
	return v, nonce, err
}

// Set is the underlying producer set.
func (v *View) Set() *prodset.Set { return v.set }

// Hash is block.ProducerSetHash of the keys: what headers carry.
func (v *View) Hash() block.Hash { return v.hash }

// Len is the number of producers.
func (v *View) Len() int { return len(v.keys) }

// Keys returns the producers' keys in ascending order.
func (v *View) Keys() []block.PublicKey { return v.set.Keys() }

// Has reports whether peer p is a producer of the set.
func (v *View) Has(p link.PeerID) bool {
	_, ok := v.peers[p]
	return ok
}

// HasKey reports whether k is a producer's block-signing key.
func (v *View) HasKey(k block.PublicKey) bool {
	_, ok := v.keys[k]
	return ok
}

// Peer returns the peer id of the producer with key k, "" if k is none.
func (v *View) Peer(k block.PublicKey) link.PeerID { return v.keys[k] }

// Peers returns the producers' peer ids, sorted.
func (v *View) Peers() []link.PeerID {
	out := make([]link.PeerID, 0, len(v.peers))
	for p := range v.peers {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b link.PeerID) int { return strings.Compare(string(a), string(b)) })
	return out
}

// Node returns the routing id of producer p.
func (v *View) Node(p link.PeerID) (route.NodeID, bool) {
	id, ok := v.nodes[p]
	return id, ok
}

// Nodes returns the producers' routing ids in ascending order.
func (v *View) Nodes() []route.NodeID {
	out := make([]route.NodeID, 0, len(v.routes))
	for id := range v.routes {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b route.NodeID) int { return strings.Compare(string(a[:]), string(b[:])) })
	return out
}

// Routable reports whether id is a producer's routing id (route admission).
func (v *View) Routable(id route.NodeID) bool { return v.routes[id] }
