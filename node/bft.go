package node

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/bftstore"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport/route"
)

// bftWire is the node's side of consensus.engine = "bft": a bftrun.Runner
// on producers (safety records in the node's pebble database, votes on
// the transport's consensus class), and on every node a bftchain.Follower
// that makes blocks irreversible only on certificates carried in later
// blocks' bodies. The protocol lives in consensus/bft, bftrun and
// bftchain; this file only wires them to the chain's loop.
type bftWire struct {
	run     atomic.Pointer[bftrun.Runner]
	fin     *bftrun.Finality // the runner's Applier and the follower (New)
	running sync.Mutex       // orders startBFT/stopBFT
}

func (n *Node) bftOn() bool { return n.cfg.Consensus.Engine == EngineBFT }

// startBFT starts this producer's runner; prev is the set a change just
// replaced when the node joins (the runner starts in the joint epoch).
func (n *Node) startBFT(prev []block.PublicKey) error {
	n.bft.running.Lock()
	defer n.bft.running.Unlock()
	if n.bft.run.Load() != nil {
		return nil
	}
	irr := *n.irr.Load() // the loop's lock-free mirror (the loop owns the chain)
	cfg := bftrun.DefaultConfig(block.Hash(n.genesis.ID()), n.signer, bft.Root{ID: irr.ID(), View: irr.Term}, n.set.Load().sortedKeys())
	cfg.Prev, cfg.BlockLimits, cfg.Logger = prev, n.blockLimits(), n.bare("consensus")
	d := bftDeps{n}
	r, err := bftrun.New(cfg, bftrun.Deps{Store: bftstore.New(n.db), Messenger: n.tr.Messenger(route.ClassConsensus),
		Producer: d, Applier: n.bft.fin, Blocks: d, Sets: d, Refused: n.bftRefused})
	if err != nil {
		return fmt.Errorf("node: starting bft consensus: %w", err)
	}
	n.bft.run.Store(r)
	n.tr.SetRoutable(n.routable())
	// The blocks stored above the irreversible one (a joiner's, or before
	// a restart): the engine may have to build on one.
	return n.call(n.stopCtx, func() {
		for _, b := range n.storedAbove() {
			r.AddBlock(&b.SignedHeader)
		}
	})
}

// stopBFT stops the runner (before the database closes).
func (n *Node) stopBFT() {
	n.bft.running.Lock()
	defer n.bft.running.Unlock()
	if r := n.bft.run.Swap(nil); r != nil {
		r.Stop()
	}
}

// bftRole follows a producer-set change. A removed producer's runner
// stops signing by itself once the joint epoch (which may need its vote)
// ends, and stays as an idle follower; a node the set took in (again)
// starts a runner in the joint epoch, with the set the change replaced.
func (n *Node) bftRole(start bool, old *prodSet) {
	if !start {
		return
	}
	n.bg.Go(func() {
		if r := n.bft.run.Load(); r != nil && !r.Status().Member {
			n.stopBFT() // removed earlier: its runner left the epochs
		}
		if err := n.startBFT(old.sortedKeys()); err != nil {
			n.consLog.Error().Err(err).Msg("starting bft as a new producer failed")
		}
	})
}

// bftDeps adapts the node to the runner's Producer, Blocks and Sets.
// Every chain access runs on the loop goroutine (n.call).
type bftDeps struct{ n *Node }

// Produce builds our block of a view on req.Parent, no sooner than the
// block interval after the parent (an idle chain does not spin).
func (d bftDeps) Produce(ctx context.Context, req bftrun.ProduceRequest) (bftrun.Produced, error) {
	n := d.n
	var parentAt int64
	if err := n.call(ctx, func() {
		if h, ok := n.chain.Tree().Get(req.Parent); ok {
			parentAt = h.Timestamp
		}
	}); err != nil {
		return bftrun.Produced{}, err
	}
	// At most one interval: a parent stamped by a clock ahead of ours
	// must not hold the view past its leader timeout.
	interval := n.cfg.Consensus.BlockInterval.Duration
	if wait := min(time.Until(time.Unix(0, parentAt).Add(interval)), interval); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return bftrun.Produced{}, ctx.Err()
		}
	}
	var blk *block.Block
	var perr error
	if err := n.call(ctx, func() { blk, perr = n.buildBFT(req) }); err != nil {
		return bftrun.Produced{}, err
	}
	return bftrun.Produced{Block: blk}, perr
}

func (n *Node) buildBFT(req bftrun.ProduceRequest) (*block.Block, error) {
	n.applyCommits() // finalizations first: the block names the newest irreversible block
	if _, in := n.setForBuild(req.Parent).keys[n.pub]; !in || !n.producer.Load() {
		return nil, fmt.Errorf("node: %s is not in the producer set in force", n.id)
	}
	if !n.chain.Tree().Has(req.Parent) {
		return nil, fmt.Errorf("node: parent %s not in the fork database yet", req.Parent)
	}
	return n.buildCert(req.View, req.Parent, time.Now(), req.Certificate)
}

// Add stores a block that came with a proposal, as a block from a peer.
func (d bftDeps) Add(ctx context.Context, b *block.Block) error {
	n := d.n
	var err error
	if cerr := n.call(ctx, func() { err = n.addProposed(b) }); cerr != nil {
		return cerr
	}
	return err
}

func (n *Node) addProposed(b *block.Block) error {
	if reason, err := n.checkProducer(b); err != nil {
		n.stats.reject(reason)
		return fmt.Errorf("%w: %s: %w", bftrun.ErrInvalidBlock, reason, err)
	}
	res, err := n.chain.Add(b)
	switch reason := chain.ReasonOf(err); {
	case err == nil:
	case reason == chain.ReasonDuplicate:
		return nil
	case reason == "" || reason == chain.ReasonUnknownParent || reason == chain.ReasonBelowIrreversible:
		return err // not the proposer's fault (or not yet decidable)
	default:
		n.stats.reject(string(reason))
		return fmt.Errorf("%w: %s: %w", bftrun.ErrInvalidBlock, reason, err)
	}
	n.stats.blocksReceived.Add(1)
	n.prop.first(b, time.Now(), false, false, "bft")
	n.lp.view.keep(b)
	n.onResult(res)
	n.bodyArrived(b)
	return nil
}

// SetAfter reads the producer set in the state after a block.
func (d bftDeps) SetAfter(id block.ID) ([]block.PublicKey, error) {
	n := d.n
	var keys []block.PublicKey
	err := n.call(n.stopCtx, func() {
		if s, ok := n.stateSet(id); ok {
			keys = s.sortedKeys()
		} else if id.Height() < n.chain.IrreversibleID().Height() {
			keys = n.set.Load().sortedKeys() // passed already: the set in force since
		}
	})
	if err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, bftrun.ErrUnknownBlock
	}
	return keys, nil
}

// applyBFT pins notarized blocks and makes the newest final one
// irreversible once stored (loop goroutine; called with the CFT commits).
func (n *Node) applyBFT() {
	for _, id := range n.bft.fin.Take() {
		if id.Height() > n.chain.IrreversibleID().Height() && n.chain.Tree().Has(id) {
			if res, err := n.chain.Pin(id); err == nil {
				n.onResult(res)
			}
		}
	}
	if id := n.bft.fin.Final(); id.Height() > n.chain.IrreversibleID().Height() && n.chain.Tree().Has(id) {
		n.setIrreversible(id)
	}
}

// bftArrived follows a stored block: the runner may need it, and the
// certificate its body carries is verified (the only way a full node
// learns finality: header claims are not trusted under BFT).
func (n *Node) bftArrived(b *block.Block) {
	if r := n.bft.run.Load(); r != nil {
		r.AddBlock(&b.SignedHeader)
	}
	if err := n.bft.fin.Follow(b, n.chain.IrreversibleID(), n.set.Load().sortedKeys(), n.storedAbove); err != nil {
		n.consLog.Debug().Err(err).Stringer("block", b.ID()).Msg("bft follower refused a block")
	}
	n.applyBFT()
}

// storedAbove lists the blocks stored above the irreversible one, parents
// first (loop goroutine).
func (n *Node) storedAbove() []*block.Block {
	var out []*block.Block
	for q := n.chain.Tree().Children(n.chain.IrreversibleID()); len(q) > 0; q = q[1:] {
		if b, err := n.chain.Block(q[0]); err == nil {
			out = append(out, b)
		}
		q = append(q, n.chain.Tree().Children(q[0])...)
	}
	return out
}

// bftRefused charges a producer whose message no correct producer sends:
// the neighbour that is its origin (a routed origin's relays only carried
// a signed copy; the transport scores them).
func (n *Node) bftRefused(from link.PeerID, reason string, err error) {
	n.stats.reject("bft-" + reason)
	n.consLog.Warn().Str("peer", from.String()).Str("reason", reason).Err(err).Msg("bft message refused")
	if nw := n.netA.Load(); nw != nil && (*nw).Link(from) != nil {
		(*nw).Penalize(from, link.ReasonUnauthorized, "bft "+reason)
	}
}
