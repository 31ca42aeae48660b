package status

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/chain/genesis"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/config"
)

// CatchUpSlack is how many blocks a peer may be ahead before a node counts
// as catching up (blocks in flight at the block rate).
const CatchUpSlack = 2

// BlockRef names a block.
type BlockRef struct {
	ID        block.ID        `json:"id"`
	Height    uint64          `json:"height"`
	Term      uint64          `json:"term"`
	Producer  block.PublicKey `json:"producer"`
	Timestamp time.Time       `json:"timestamp"`
}

// Ref names the block with header h; the zero BlockRef for nil.
func Ref(h *block.SignedHeader) BlockRef {
	if h == nil {
		return BlockRef{}
	}
	return BlockRef{ID: h.ID(), Height: h.Height, Term: h.Term, Producer: h.Producer, Timestamp: time.Unix(0, h.Timestamp).UTC()}
}

// Node is the node's state at a glance (the admin API's /status;
// node.Status).
type Node struct {
	Name         string         `json:"name"`
	PeerID       link.PeerID    `json:"peer_id"`
	Role         config.Role    `json:"role"`
	Engine       genesis.Engine `json:"engine"`
	Chain        string         `json:"chain"`
	Genesis      block.ID       `json:"genesis"`
	Head         BlockRef       `json:"head"`
	Irreversible BlockRef       `json:"irreversible"`
	// StateRoot is the application state root after the head.
	StateRoot block.Hash `json:"state_root"`
	// Term and Leader come from raft on a CFT producer; elsewhere from the
	// head block (its term and producer).
	Term   uint64      `json:"term"`
	Leader link.PeerID `json:"leader,omitempty"`
	// Producing is set while this node makes blocks (leader or solo).
	Producing bool `json:"producing"`
	Peers     int  `json:"peers"`
	// Sync is "synced"; "catching_up" while a verified peer head is more
	// than CatchUpSlack blocks above ours; "stalled" when our head has not
	// advanced for 20 block intervals (at least 5 s) with a verified peer
	// head above it; "unknown" when the loop does not answer. BestPeer is
	// the highest verified peer head: a block we hold, or a header signed
	// by a producer of the set in force; a peer's unsigned hello never
	// counts (issue 11).
	Sync        string `json:"sync"`
	BestPeer    uint64 `json:"best_peer_height"`
	MempoolTxs  int    `json:"mempool_txs"`
	Running     bool   `json:"running"`
	StatusError string `json:"status_error,omitempty"`
	// ConfigRole is node.role from the config. Role above is the
	// effective role: "producer" while the node's key is in the producer
	// set in force at its irreversible block, else "full".
	ConfigRole config.Role `json:"config_role"`
}
