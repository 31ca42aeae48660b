package node

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

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
