// BFT finalization certificates on their own: the producer that proposed
// a block publishes its finalization certificate to every node the moment
// it forms (consensus/engine BFTConfig.Publish), and every node hands the
// ones it receives to the engine's follower (engine.BFT.Certified). The
// topic and its relay check are consensus/engine's (CertTopicConfig), the
// verification and the finality rule consensus/bftchain's; this file only
// carries the bytes.

package node

import (
	"maps"

	"github.com/blockwire/blockwire/consensus/bftchain"
	"github.com/blockwire/blockwire/consensus/engine"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/broadcast"
)

// TopicBFTFinal is the broadcast topic of BFT finalization certificates
// (engine "bft"; engine.CertTopic): reserved, an application must not
// register it.
const TopicBFTFinal = engine.CertTopic

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
	out[TopicBFTFinal] = engine.CertTopicConfig(func(p link.PeerID) bool { return n.set.Load().Has(p) })
	return out
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
