package status

import (
	"encoding/hex"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/chain/genesis"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// Consensus is the consensus state (the admin API's /consensus;
// node.ConsensusStatus).
type Consensus struct {
	Engine genesis.Engine `json:"engine"`
	// Member is set on a node that takes part (a CFT producer or the solo
	// producer).
	Member bool `json:"member"`
	// Raft is the engine's state on a CFT producer.
	Raft *cft.Status `json:"raft,omitempty"`
	// BFT is the runner's state on a BFT producer (view, leader, last
	// notarized and finalized, epoch, counters).
	BFT *bftrun.Status `json:"bft,omitempty"`
	// Irreversible is the chain's irreversible block.
	Irreversible BlockRef `json:"irreversible"`
	// Producers is the producer set in force at this node's irreversible
	// block (the genesis set until a change transaction's block is
	// irreversible), in ascending key order. Name is the genesis name, empty
	// for a producer a change added.
	Producers []genesis.Producer `json:"producers"`
	// ProducerSet is the hash of that set (block.ProducerSetHash), the
	// value block headers carry.
	ProducerSet block.Hash `json:"producer_set"`
	// NextChangeNonce is the nonce the next producer-set change must carry
	// (the last applied at the irreversible block, plus one).
	NextChangeNonce uint64 `json:"next_change_nonce"`
	// Quorum is how many producers in force must sign a change under the
	// default policy (0 when an App or option supplies another policy).
	Quorum int `json:"change_quorum"`
}

// ProducerList lists the producers with keys (in that order), peer ids
// from peerOf, and the genesis names of those the genesis lists (named;
// a producer a change added has no name).
func ProducerList(named []genesis.Producer, keys []block.PublicKey, peerOf func(block.PublicKey) link.PeerID) []genesis.Producer {
	names := map[string]string{}
	for _, p := range named {
		names[p.PeerID] = p.Name
	}
	out := make([]genesis.Producer, 0, len(keys))
	for _, k := range keys {
		id := peerOf(k).String()
		out = append(out, genesis.Producer{Name: names[id], PeerID: id, PublicKey: hex.EncodeToString(k[:])})
	}
	return out
}
