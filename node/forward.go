package node

import (
	"fmt"
	"time"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
)

// This file wires blocksync's forwarding before executing (issue 19): the
// light check blocksync runs on every new body, the hand-off of a checked
// body to the other Conns before chain.Add executes it, and the rule that a
// signed block failing execution is its signer's fault, not the relay's.

// syncChain is blocksync's view of the chain with the light check
// (blocksync.Verifier).
type syncChain struct {
	*chain.SyncView
	n *Node
}

var (
	_ blocksync.Verifier     = syncChain{}
	_ blocksync.InboundChain = syncChain{}
)

// Inbound shares the loop's table of bodies on their way among the Conns
// (a graft waits while another link delivers the block, issue 19).
func (c syncChain) Inbound() *blocksync.Inbound { return c.n.lp.inbound }

// VerifyBody checks the producer's authority for the header (the rule
// addFromPeer applied before chain.Add), then the signature and the body
// against the transaction root. A refusal is counted under its reason.
func (c syncChain) VerifyBody(b *block.Block) error {
	reason, err := c.n.checkProducer(b)
	if err == nil {
		if err = b.Check(); err != nil {
			reason = string(block.ReasonOf(err))
		}
	}
	if err != nil {
		c.n.stats.reject(reason)
		return fmt.Errorf("%s: %w", reason, err)
	}
	return nil
}

// forwardEarly offers a body that passed VerifyBody on p's Conn to every
// other Conn, which sends it now where the tree would push it after the
// add; the link's writer then sends it while this goroutine executes it.
func (n *Node) forwardEarly(p *peerState, b *block.Block) {
	now := time.Now()
	for _, q := range n.lp.peers {
		if q == p || q.closing {
			continue
		}
		if err := q.conn.Forward(now, b); err == nil {
			n.perform(q)
		}
	}
}

// refuseSigned counts and logs a signed block that failed execution. The
// link it came over is charged only if its peer is the signer (a producer
// pushing its own bad block); a relay is not.
func (n *Node) refuseSigned(p *peerState, b *block.Block, reason string, err error) {
	if s := n.set.Load(); s.HasKey(b.Producer) && s.Peer(b.Producer) == p.id {
		n.refuse(p, b.ID(), reason, err, true)
		return
	}
	n.stats.reject(reason)
	n.syncLog.Warn().Str("peer", p.id.String()).Stringer("block", b.ID()).Str("producer", b.Producer.String()).
		Str("reason", reason).Err(err).Msg("block refused: the signer's fault, the relaying peer is not charged")
}
