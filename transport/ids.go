package transport

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// NodeIDOf is the routing id of a libp2p peer: its ed25519 public key. A
// peer id without an embedded ed25519 key (another key type, a hashed id)
// has none.
func NodeIDOf(p link.PeerID) (route.NodeID, error) {
	pub, err := p.ExtractPublicKey()
	if err != nil {
		return route.NodeID{}, fmt.Errorf("transport: peer %s: %w", p, err)
	}
	if pub.Type() != crypto.Ed25519 {
		return route.NodeID{}, fmt.Errorf("transport: peer %s has a %v key, want ed25519", p, pub.Type())
	}
	raw, err := pub.Raw()
	if err != nil {
		return route.NodeID{}, fmt.Errorf("transport: peer %s: %w", p, err)
	}
	var id route.NodeID
	copy(id[:], raw)
	return id, nil
}

// PeerIDOf is the libp2p peer id of a routing id.
func PeerIDOf(id route.NodeID) (link.PeerID, error) {
	pub, err := crypto.UnmarshalEd25519PublicKey(id[:])
	if err != nil {
		return "", fmt.Errorf("transport: node %s: %w", id, err)
	}
	return peer.IDFromPublicKey(pub)
}

// mustPeer converts an id the router authenticated (a signature verified
// with it, so it is a valid key); it returns "" if conversion fails.
func mustPeer(id route.NodeID) link.PeerID {
	p, _ := PeerIDOf(id)
	return p
}
