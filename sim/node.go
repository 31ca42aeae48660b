package sim

import (
	"time"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// node is one simulated node: a real forkdb.Tree, an in-memory block store
// and one blocksync.Conn per connected neighbour, fed by the driver methods
// in driver.go.
type node struct {
	id  int
	r   *runner
	byz Behaviour // "" for a correct node
	up  bool

	tree  *forkdb.Tree
	store *store
	// conns are the live connections by neighbour; peers lists the
	// neighbours in order so every iteration is deterministic.
	conns map[int]*peerConn
	peers []int
	// twins maps an equivocating producer's block to its twin.
	twins map[block.ID]*block.Block
	// forged caches corrupted copies of blocks (badsig) so each is made
	// once.
	forged map[block.ID]*block.Block
	sends  uint64 // bodies sent, for behaviours that act on every other one
	// gone holds blocks this node pruned (forks that lost to a new
	// irreversible block) and their orphans, so that a body in flight on a
	// pruned fork is recognized as stale, not invalid.
	gone map[block.ID]bool
	// inbound is what the node's Conns share about bodies on their way
	// (blocksync.InboundChain); a fresh one per boot.
	inbound *blocksync.Inbound
}

// peerConn is one connection's state machine and its timer.
type peerConn struct {
	peer   int
	c      *blocksync.Conn
	gen    uint64        // the link generation this Conn belongs to
	tickAt time.Duration // the armed tick; -1 for none
}

// chainView adapts a node's tree and store to blocksync.Chain.
type chainView struct{ n *node }

var (
	_ blocksync.Chain        = chainView{}
	_ blocksync.InboundChain = chainView{}
)

// Inbound implements blocksync.InboundChain: one table per node.
func (v chainView) Inbound() *blocksync.Inbound { return v.n.inbound }

func (v chainView) Head() block.ID         { return v.n.tree.HeadID() }
func (v chainView) Irreversible() block.ID { return v.n.tree.RootID() }

func (v chainView) BestAt(h uint64) (block.ID, bool) {
	if h >= v.n.tree.Root().Height {
		return v.n.tree.BestAt(h)
	}
	return v.n.store.finalAt(h)
}

func (v chainView) Ancestor(id block.ID, h uint64) (block.ID, bool) {
	return v.n.tree.Ancestor(id, h)
}

func (v chainView) Header(id block.ID) (block.SignedHeader, bool) {
	if h, ok := v.n.tree.Get(id); ok {
		return h, true
	}
	if fid, ok := v.n.store.finalAt(id.Height()); ok && fid == id && id.Height() < v.n.tree.Root().Height {
		return v.n.store.blocks[id].SignedHeader, true
	}
	return block.SignedHeader{}, false
}

func (v chainView) Block(id block.ID) (*block.Block, bool) { return v.n.store.get(id) }

// boot gives the node a fresh tree over the store it kept: genesis at the
// start of the run, the irreversible chain after a crash.
func (n *node) boot(s *store) {
	n.store = s
	top := s.final[len(s.final)-1]
	n.tree = forkdb.New(s.blocks[top].SignedHeader)
	n.conns = map[int]*peerConn{}
	n.gone = map[block.ID]bool{}
	n.inbound = blocksync.NewInbound()
	n.up = true
}

// crash loses everything but the irreversible chain.
func (n *node) crash() {
	n.up = false
	n.store = n.store.crash()
	n.tree = nil
	n.conns = map[int]*peerConn{}
}

func (n *node) sortedConns() []*peerConn {
	out := make([]*peerConn, 0, len(n.conns))
	for _, p := range n.peers {
		if pc := n.conns[p]; pc != nil {
			out = append(out, pc)
		}
	}
	return out
}

func (n *node) correct() bool { return n.byz == "" }

// holds reports whether the node has block id (in its tree or its
// irreversible chain).
func (n *node) holds(id block.ID) bool {
	_, ok := n.store.blocks[id]
	return ok
}
