// BFT finalization certificates on their own: the producer that proposed
// a block publishes its finalization certificate to every node the moment
// it forms (consensus/engine BFTConfig.Publish), and every node hands the
// ones it receives to the engine's follower (engine.BFT.Certified). The
// verification and the finality rule live in consensus/bftchain; this file
// only carries the bytes.

package node

import (
	"maps"

	"github.com/blockwire/blockwire/consensus/bftchain"
	"github.com/blockwire/blockwire/consensus/engine"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/route"
)

// TopicBFTFinal is the broadcast topic of BFT finalization certificates
// (engine "bft"): reserved, an application must not register it.
const TopicBFTFinal Topic = 0xFFF0

// maxBFTCert bounds a certificate: version, epoch tag and a certificate of
// up to a few hundred signers (64 bytes each).
const maxBFTCert = 64 << 10

// withBFTTopic returns the topics with the certificate topic added on a
// BFT node (every node of a chain runs the genesis engine, so every relay
// knows it).
func (n *Node) withBFTTopic(topics map[Topic]broadcast.TopicConfig) map[Topic]broadcast.TopicConfig {
	if n.cfg.Consensus.Engine != EngineBFT {
		return topics
	}
	out := maps.Clone(topics)
	if out == nil {
		out = map[Topic]broadcast.TopicConfig{}
	}
	out[TopicBFTFinal] = broadcast.TopicConfig{MaxSize: maxBFTCert, Validator: n.validBFTCert}
	return out
}

// validBFTCert runs before a certificate is delivered or relayed: it must
// decode and come from a producer in force (signed by it: the origin is
// authenticated). Its signatures are verified by the follower on delivery
// (loop state); a producer that publishes a bad one is counted there.
func (n *Node) validBFTCert(origin broadcast.NodeID, _ broadcast.Topic, p []byte) broadcast.Verdict {
	pid, err := transport.PeerIDOf(route.NodeID(origin))
	if err != nil {
		return Reject
	}
	if _, _, err := bftchain.DecodeCert(p); err != nil {
		return Reject
	}
	if _, ok := n.set.Load().peers[pid]; !ok {
		return Ignore // a producer a change added that we do not know yet
	}
	return Accept
}

// onBFTCert runs on the broadcast goroutine: the loop owns the follower.
func (n *Node) onBFTCert(m Message) {
	n.post(input{kind: inCall, fn: func() { n.bftCertified(m) }})
}

func (n *Node) bftCertified(m Message) {
	e, ok := n.eng.(*engine.BFT)
	if !ok {
		return
	}
	f, err := e.Certified(loopChain{n}, m.Payload)
	if r := bftchain.ReasonOf(err); r == bftchain.ReasonBadCert || r == bftchain.ReasonConflict {
		n.stats.reject("bft-cert-" + string(r))
		n.consLog.Warn().Str("origin", m.Origin.String()).Err(err).Msg("a published finalization certificate was refused")
	}
	n.follow(f)
}

// publishBFTCert sends a certificate of our block to every node.
func (n *Node) publishBFTCert(cert []byte) {
	if _, _, err := n.bc.Broadcast(TopicBFTFinal, cert, ToAll()); err != nil {
		n.consLog.Debug().Err(err).Msg("publishing a finalization certificate failed (later blocks carry it)")
	}
}
