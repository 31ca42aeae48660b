package status

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// Counters are the node's cumulative counters, for Prometheus counters
// (rates such as catch-up blocks/s are rate() over them; node.Counters).
type Counters struct {
	// BlocksReceived counts blocks from peers added to the chain.
	BlocksReceived uint64 `json:"blocks_received"`
	// Duplicates counts bodies the chain already had when added (rare:
	// blocksync filters known blocks first).
	Duplicates uint64 `json:"duplicates"`
	// BodyDuplicates counts block bodies received that we already had
	// (blocksync's count over all links): the dissemination's redundancy.
	// Ideally near zero once the per-producer trees formed.
	BodyDuplicates uint64 `json:"body_duplicates"`
	// BlocksSent counts bodies sent; BlockBytesIn/Out their bytes.
	BlocksSent    uint64 `json:"blocks_sent"`
	BlockBytesIn  uint64 `json:"block_bytes_in"`
	BlockBytesOut uint64 `json:"block_bytes_out"`
	// Grafts counts grafts sent (a backup link pulled a block the tree
	// path had not delivered); GraftsHeld grafts that fell due while
	// another link was delivering a body and waited (issue 19).
	Grafts     uint64 `json:"grafts"`
	GraftsHeld uint64 `json:"grafts_held"`
	// Stale counts bodies dropped because their fork was pruned meanwhile.
	Stale uint64 `json:"stale"`
	// Produced counts blocks this node produced.
	Produced uint64 `json:"produced"`
	// Rejected counts refused blocks and messages by reason (chain and
	// blocksync reasons, "unknown-producer", "mempool-full", ...).
	Rejected map[string]uint64 `json:"rejected"`
	// TxSubmitted counts Submit calls here; TxAccepted transactions taken
	// into this producer's mempool; TxForwarded submits sent to a peer.
	TxSubmitted uint64 `json:"tx_submitted"`
	TxAccepted  uint64 `json:"tx_accepted"`
	TxForwarded uint64 `json:"tx_forwarded"`
}

// Observer receives per-block observations for metrics (propagation delay
// histograms). It is called on the node's loop goroutine and must return
// quickly.
type Observer interface {
	ObserveBlock(BlockObservation)
}

// BlockObservation is one block received from a peer and accepted.
type BlockObservation struct {
	ID       block.ID
	Producer block.PublicKey
	From     link.PeerID
	// Delay is first-seen time minus the block's timestamp: the
	// propagation delay plus clock skew between producer and node.
	Delay time.Duration
	Size  int
	Txs   int
	// CatchingUp is set when the sender reported a head more than
	// CatchUpSlack blocks above this one: the block is history being
	// synced, and its Delay is not a propagation delay.
	CatchingUp bool
}
