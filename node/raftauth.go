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
// not allow (outside the producer set, or naming another sender) costs
// the peer link.ReasonUnauthorized, malformed raft requests
// link.ReasonDecode; repeated, either bans the peer. The ban's reason
// carries the refusal's, e.g. "score: unauthorized: raft not-a-member".
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
	if n.net.Penalize(p, r, detail) {
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
