// The operator's sync signal from verified data only (issue 11, attack 6).

package node

import (
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/node/syncstate"
)

// vouched memoizes the check of a peer's latest Have header: its id and
// whether it is signed by a producer of the set in force.
type vouched struct {
	id block.ID
	ok bool
}

// verifiedHeight returns the highest head of p that this node can vouch
// for: a block of ours the peer has (blocksync's LastSent), the peer's
// head if we hold that block, or the header of its latest Have if a
// producer of the set in force signed it. An unsigned hello's height never
// counts.
func (n *Node) verifiedHeight(p *peerState) uint64 {
	c := p.conn
	best := c.LastSent().Height()
	if head := c.PeerHead(); head.Height() > best {
		if _, ok := n.lp.view.Header(head); ok {
			best = head.Height()
		}
	}
	h := c.PeerHeader()
	if h.Height <= best {
		return best
	}
	id := h.ID()
	if p.vouched.id != id {
		known := n.set.Load().HasKey(h.Producer)
		p.vouched = vouched{id: id, ok: known && h.Check() == nil}
	}
	if !p.vouched.ok {
		return best
	}
	return h.Height
}

// bestVerified is the highest verified head over every peer.
func (n *Node) bestVerified() uint64 {
	var best uint64
	for _, p := range n.lp.peers {
		best = max(best, n.verifiedHeight(p))
	}
	return best
}

// newSyncTracker starts the sync signal at our head. A node counts as
// stalled when its head stood still for stallBlocks block intervals (at
// least minStall) with a verified peer head above it.
func (n *Node) newSyncTracker() *syncstate.Tracker {
	stall := max(stallBlocks*n.cfg.Consensus.BlockInterval.Duration, minStall)
	return syncstate.New(syncstate.Config{Slack: CatchUpSlack, StallAfter: stall}, time.Now(), n.chain.Head().Height)
}

const (
	stallBlocks = 20
	minStall    = 5 * time.Second
)

// stallCheckEvery is how often a node checks whether it follows, and at
// most how often it logs that it does not.
const stallCheckEvery = 5 * time.Second

// logStall says, at info and at most every stallCheckEvery, that this node
// is not following (the sync signal is stalled: our head stood still with a
// verified peer head above it), naming the peer with the highest verified
// head, its head and what it sent us so far: successive lines show whether
// its bodies still arrive, slowly (issue 19: a 29 MB block took a minute),
// or not at all.
func (n *Node) logStall(now time.Time) {
	lp := n.lp
	if now.Before(lp.stallCheckAt) {
		return
	}
	lp.stallCheckAt = now.Add(stallCheckEvery)
	var best *peerState
	var bestH uint64
	for _, p := range lp.peers {
		if h := n.verifiedHeight(p); best == nil || h > bestH {
			best, bestH = p, h
		}
	}
	if best == nil || lp.sync.State(now, bestH) != syncstate.Stalled {
		return
	}
	c, st := best.conn, best.conn.Stats()
	n.syncLog.Info().Stringer("head", n.chain.HeadID()).Stringer("irreversible", n.chain.IrreversibleID()).
		Str("peer", best.id.String()).Uint64("peer_verified_height", bestH).Stringer("peer_head", c.PeerHead()).
		Stringer("peer_irreversible", c.PeerIrreversible()).Stringer("last_sent", c.LastSent()).
		Uint64("blocks_from_peer", st.BlocksReceived).Uint64("block_bytes_from_peer", st.BlockBytesReceived).
		Uint64("duplicates_from_peer", st.Duplicates).
		Msg("not following: a peer's verified head is above ours and ours stands still")
}
