package node

import (
	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// raftPeers is cft.Deps.Peers: the producer set this node holds in force
// (from its irreversible state), whose members may speak raft to it. It
// matters most on a producer added by a change, whose raft configuration
// lists nobody until the leader's first AppendEntries.
func (n *Node) raftPeers() []raft.ServerID {
	s := n.set.Load()
	out := make([]raft.ServerID, 0, len(s.peers))
	for p := range s.peers {
		out = append(out, raft.ServerID(p.String()))
	}
	return out
}

// raftRefused is cft.Deps.Refused: raft traffic from a peer its role does
// not allow (outside the producer set, or naming another sender) or a
// malformed raft request. Raft rides routed unicast, so re.Peer is the
// message's origin, authenticated end to end by its signature — not the
// neighbour that handed it over.
//
// An origin we hold a direct link to is charged like any misbehaving
// neighbour (link.ReasonUnauthorized, malformed requests
// link.ReasonDecode); repeated, it is banned, the ban's reason carrying
// the refusal's, e.g. "score: unauthorized: raft not-a-member". An origin
// further away is not charged: the relays only forwarded a message they
// could neither forge nor judge (raft is end to end), and banning the
// relay would punish the wrong peer; we count it ("raft-refused-remote")
// and log it with the origin so an operator can act on that node.
func (n *Node) raftRefused(re *cft.RefusedError) {
	p, err := peer.Decode(string(re.Peer))
	if err != nil {
		return // unauthenticated: nobody to charge (the engine logged it)
	}
	r := link.ReasonUnauthorized
	if re.Reason == cft.RefuseMalformed {
		r = link.ReasonDecode
	}
	detail := "raft " + re.Reason
	if re.Detail != "" {
		detail += " (" + re.Detail + ")"
	}
	nw := n.netA.Load()
	if nw == nil || (*nw).Link(p) == nil {
		n.stats.reject("raft-refused-remote")
		n.consLog.Warn().Str("origin", p.String()).Str("reason", re.Reason).Str("detail", re.Detail).
			Msg("raft traffic refused from a routed origin (not a neighbour: not charged)")
		return
	}
	if (*nw).Penalize(p, r, detail) {
		n.consLog.Warn().Str("peer", p.String()).Str("reason", re.Reason).Msg("peer banned for unauthorized raft traffic")
	}
}

// raftServerOf is cft.Config.ServerOf: a producer's block-signing key is
// the ed25519 key its peer id embeds, and the peer id string is its raft
// server id. A pure function of the key, so every member maps alike.
func raftServerOf(k block.PublicKey) (raft.ServerID, bool) {
	pk, err := crypto.UnmarshalEd25519PublicKey(k[:])
	if err != nil {
		return "", false
	}
	id, err := peer.IDFromPublicKey(pk)
	if err != nil {
		return "", false
	}
	return raft.ServerID(id.String()), true
}
