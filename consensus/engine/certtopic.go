package engine

import (
	"github.com/blockwire/blockwire/consensus/bftchain"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/route"
)

// CertTopic is the broadcast topic BFT finalization certificates travel on
// on their own (BFTConfig.Publish sends them, BFT.Certified takes them in):
// reserved, an application must not register it. Every node of a BFT
// chain registers it (every node runs the genesis engine, so every relay
// knows it).
const CertTopic broadcast.Topic = 0xFFF0

// MaxCertSize bounds a published certificate: version, epoch tag and a
// certificate of up to a few hundred signers (64 bytes each).
const MaxCertSize = 64 << 10

// CertTopicConfig is CertTopic's broadcast configuration. Its validator
// runs before a certificate is delivered or relayed: the payload must
// decode and its origin (authenticated: the broadcast layer checked the
// origin's signature) must be a producer in force by inForce. Unknown
// origins are ignored, not penalized: a producer a change added that this
// node does not know yet. The certificate's signatures are verified on
// delivery (BFT.Certified), where a bad one is counted.
func CertTopicConfig(inForce func(link.PeerID) bool) broadcast.TopicConfig {
	return broadcast.TopicConfig{MaxSize: MaxCertSize, Validator: func(origin broadcast.NodeID, _ broadcast.Topic, p []byte) broadcast.Verdict {
		pid, err := transport.PeerIDOf(route.NodeID(origin))
		if err != nil {
			return broadcast.Reject
		}
		if _, _, err := bftchain.DecodeCert(p); err != nil {
			return broadcast.Reject
		}
		if !inForce(pid) {
			return broadcast.Ignore
		}
		return broadcast.Accept
	}}
}
