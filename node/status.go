package node

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/status"
)

// statusTimeout bounds how long an accessor waits for a busy loop.
const statusTimeout = 2 * time.Second

// The node's reports are node/status's types under their historical
// names.
type (
	// Observer receives per-block observations for metrics
	// (status.Observer).
	Observer = status.Observer
	// BlockObservation is one block received from a peer and accepted.
	BlockObservation = status.BlockObservation
	// Counters are the node's cumulative counters (status.Counters).
	Counters = status.Counters
	// BlockRef names a block.
	BlockRef = status.BlockRef
	// Status is the node's state at a glance (the admin API's /status).
	Status = status.Node
	// PeerStatus is one peer as the admin API shows it (status.Peer).
	PeerStatus = status.Peer
	// ConsensusStatus is the consensus state (the admin API's /consensus).
	ConsensusStatus = status.Consensus
)

// CatchUpSlack is how many blocks a peer may be ahead before a node counts
// as catching up (status.CatchUpSlack).
const CatchUpSlack = status.CatchUpSlack

// counters are cumulative; Counters snapshots them.
type counters struct {
	blocksReceived, duplicates, stale, produced atomic.Uint64
	bodyDuplicates, blockBytesIn, blockBytesOut atomic.Uint64
	blocksSent, grafts, graftsHeld              atomic.Uint64
	txSubmitted, txAccepted, txForwarded        atomic.Uint64
	mu                                          sync.Mutex
	rejected                                    map[string]uint64
}

func (c *counters) reject(reason string) {
	c.mu.Lock()
	c.rejected[reason]++
	c.mu.Unlock()
}

// Counters returns a snapshot of the counters.
func (n *Node) Counters() Counters {
	c := &n.stats
	c.mu.Lock()
	rej := maps.Clone(c.rejected)
	c.mu.Unlock()
	return Counters{
		BlocksReceived: c.blocksReceived.Load(), Duplicates: c.duplicates.Load(), Stale: c.stale.Load(),
		BodyDuplicates: c.bodyDuplicates.Load(), BlocksSent: c.blocksSent.Load(),
		Grafts: c.grafts.Load(), GraftsHeld: c.graftsHeld.Load(),
		BlockBytesIn: c.blockBytesIn.Load(), BlockBytesOut: c.blockBytesOut.Load(),
		Produced: c.produced.Load(), Rejected: rej, TxSubmitted: c.txSubmitted.Load(),
		TxAccepted: c.txAccepted.Load(), TxForwarded: c.txForwarded.Load(),
	}
}

// Status returns the node's state. If the loop does not answer within a
// couple of seconds it returns the last published head and irreversible
// block with StatusError set.
func (n *Node) Status() Status {
	s := Status{
		Name: n.cfg.Node.Name, PeerID: n.id, Role: n.Role(), ConfigRole: n.cfg.Node.Role, Engine: n.cfg.Consensus.Engine,
		Chain: n.genesis.Chain, Genesis: n.genesis.ID(),
		Head: status.Ref(n.head.Load()), Irreversible: status.Ref(n.irr.Load()),
	}
	s.Term, s.Leader = s.Head.Term, n.set.Load().Peer(s.Head.Producer)
	es := n.eng.Status()
	if es.Running {
		s.Term = es.Term
	}
	if es.LeaderKnown {
		s.Leader = es.Leader
	}
	s.Producing = es.Producing
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	err := n.call(ctx, func() {
		lp := n.lp
		s.Running = true
		s.Peers = len(lp.peers)
		s.MempoolTxs = lp.pool.Len()
		s.StateRoot, _ = n.chain.StateRoot(n.chain.HeadID())
		s.BestPeer = n.bestVerified()
		s.Sync = string(lp.sync.State(time.Now(), s.BestPeer))
	})
	if err != nil {
		s.StatusError = err.Error()
		s.Sync = "unknown"
	}
	return s
}

// Peers lists every peer the link layer knows (connected or not), sorted by
// peer id, with blocksync's state for connected ones.
func (n *Node) Peers() []PeerStatus {
	nw := n.net
	if nw == nil {
		return nil
	}
	infos := nw.Peers()
	sync := map[link.PeerID]status.PeerSync{}
	set := n.set.Load()
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	_ = n.call(ctx, func() {
		for _, p := range n.lp.peers {
			st := p.conn.Stats()
			ps := status.PeerSync{State: p.conn.State().String(), Head: p.conn.PeerHead(), Irreversible: p.conn.PeerIrreversible(),
				VerifiedHeight: n.verifiedHeight(p), InFlight: p.conn.InFlight(),
				Sent: st.BlocksSent, Received: st.BlocksReceived, Dup: st.Duplicates, Tree: map[string]string{}}
			for _, k := range set.Keys() {
				ps.Tree[set.Peer(k).String()] = p.conn.Mode(k).String()
			}
			sync[p.id] = ps
		}
	})
	return status.MergePeers(infos, status.PeerFacts{Producer: set.Has, Address: n.remoteAddr, Sync: sync})
}

// Consensus returns the consensus state.
func (n *Node) Consensus() ConsensusStatus {
	set := n.set.Load()
	cs := ConsensusStatus{Engine: n.cfg.Consensus.Engine, Member: n.producer.Load(), Irreversible: status.Ref(n.irr.Load()),
		Producers: status.ProducerList(n.genesis.Producers, set.Keys(), set.Peer), ProducerSet: set.Hash(), NextChangeNonce: n.changeNonce.Load() + 1, Quorum: n.changeQuorum(set)}
	es := n.eng.Status()
	cs.Raft, cs.BFT = es.Raft, es.BFT
	return cs
}

// Block returns a block by id: any block of the fork database or the
// irreversible chain. Safe to call at any time after New.
func (n *Node) Block(id block.ID) (*block.Block, error) {
	if n.closed.Load() {
		return nil, ErrStopped
	}
	b, err := n.chain.Log().Block(id)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s: %w", ErrNotFound, id, err)
	}
	return b, nil
}

// BlockAt returns the block at height on the best chain (the irreversible
// chain below the irreversible height).
func (n *Node) BlockAt(ctx context.Context, height uint64) (*block.Block, error) {
	var b *block.Block
	var ok bool
	if err := n.call(ctx, func() {
		var id block.ID
		if id, ok = n.lp.view.BestAt(height); ok {
			b, ok = n.lp.view.Block(id)
		}
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no block at height %d", ErrNotFound, height)
	}
	return b, nil
}

// Head returns the best head and the irreversible block.
func (n *Node) Head() (head, irreversible BlockRef) {
	return status.Ref(n.head.Load()), status.Ref(n.irr.Load())
}

// StateRoot returns the application state root after the head.
func (n *Node) StateRoot(ctx context.Context) (block.ID, block.Hash, error) {
	var id block.ID
	var root block.Hash
	err := n.call(ctx, func() {
		id = n.chain.HeadID()
		root, _ = n.chain.StateRoot(id)
	})
	return id, root, err
}

// Query runs fn on the loop goroutine with the chain's head state (reads
// only), for an embedder's App queries.
func (n *Node) Query(ctx context.Context, fn func(st chain.StateReader) error) error {
	var ferr error
	if err := n.call(ctx, func() { ferr = fn(n.chain.HeadState()) }); err != nil {
		return err
	}
	return ferr
}

// Addrs returns the multiaddrs peers can dial this node at (with
// /p2p/<id>), or nil on a network without addresses (in-memory).
func (n *Node) Addrs() []string {
	h, ok := n.net.(*link.Host)
	if !ok {
		return nil
	}
	info := h.AddrInfo()
	out := make([]string, 0, len(info.Addrs))
	for _, a := range info.Addrs {
		out = append(out, a.String()+"/p2p/"+info.ID.String())
	}
	return out
}

// remoteAddr is the remote multiaddr of a live libp2p connection to p.
func (n *Node) remoteAddr(p link.PeerID) string {
	h, ok := n.net.(*link.Host)
	if !ok {
		return ""
	}
	for _, c := range h.Libp2p().Network().ConnsToPeer(p) {
		return c.RemoteMultiaddr().String()
	}
	return ""
}
