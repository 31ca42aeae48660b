package node

import (
	"context"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/engine"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// newEngine builds the engine of consensus.engine (consensus/engine) once
// the transport is up: the node holds one engine.Engine and never branches
// on which it is. The engines' votes and raft ride the routed transport's
// consensus class (producers need routes, not links, among themselves).
// Until Start, n.eng is an idle engine.Solo.
func (n *Node) newEngine() engine.Engine {
	msgr := func() *transport.Messenger { return n.tr.Messenger(route.ClassConsensus) }
	switch n.cfg.Consensus.Engine {
	case EngineSolo:
		return &engine.Solo{Producer: n.solo}
	case EngineBFT:
		return engine.NewBFT(engine.BFTConfig{ChainID: block.Hash(n.genesis.ID()), Key: n.signer, DB: n.db,
			Messenger: msgr(), BlockLimits: n.blockLimits(), BlockInterval: n.cfg.Consensus.BlockInterval.Duration,
			LeaderTimeout: n.cfg.Consensus.BFTLeaderTimeout.Duration,
			Refused:       n.bftRefused, Publish: n.publishBFTCert, Logger: n.bare("consensus")}, engineHost{n})
	}
	_, peers := n.genesis.ProducerSet()
	var m cft.Messenger = msgr()
	if n.o.raftWrap != nil {
		m = n.o.raftWrap(n.id, m)
	}
	return engine.NewCFT(engine.CFTConfig{Raft: n.cfg.CFTConfig(), Self: n.id, GenesisPeers: peers, Genesis: n.genesis.ID(),
		DB: n.db, Messenger: m, Refused: n.raftRefused, Logger: n.bare("consensus")}, engineHost{n})
}

// startEngine starts this producer's engine (prev: see engine.Start); the
// node then announces itself as a routing destination.
func (n *Node) startEngine(prev []block.PublicKey) error {
	if err := n.eng.Start(prev); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.tr.SetRoutable(n.routable())
	return nil
}

// engineHost is the node as the engines need it (engine.Host). The
// methods with a ctx run on the loop goroutine, which owns the chain.
type engineHost struct{ n *Node }

var _ engine.Host = engineHost{}

// Build makes this producer's block on the loop (produce.go: buildFor).
func (h engineHost) Build(ctx context.Context, r engine.Build) (*block.Block, error) {
	var blk *block.Block
	var err error
	if cerr := h.n.call(ctx, func() { blk, err = h.n.buildFor(r) }); cerr != nil {
		return nil, cerr
	}
	return blk, err
}

// Add stores a block that came with a proposal, as a block from a peer.
func (h engineHost) Add(ctx context.Context, b *block.Block) error {
	var err error
	if cerr := h.n.call(ctx, func() { err = h.n.addProposed(b) }); cerr != nil {
		return cerr
	}
	return err
}

func (h engineHost) Timestamp(ctx context.Context, id block.ID) (at time.Time, ok bool, err error) {
	err = h.n.call(ctx, func() {
		if hd, found := h.n.chain.Tree().Get(id); found {
			at, ok = time.Unix(0, hd.Timestamp), true
		}
	})
	return at, ok, err
}

func (h engineHost) Stored(ctx context.Context) (out []*block.Block, err error) {
	err = h.n.call(ctx, func() { out = h.n.chain.StoredAbove() })
	return out, err
}

// SetAfter reads the producer set in the state after a block.
func (h engineHost) SetAfter(id block.ID) ([]block.PublicKey, error) {
	n := h.n
	var keys []block.PublicKey
	err := n.call(n.stopCtx, func() {
		if s, ok := n.stateSet(id); ok {
			keys = s.Keys()
		} else if id.Height() < n.chain.IrreversibleID().Height() {
			keys = n.set.Load().Keys() // passed already: the set in force since
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

func (h engineHost) Member() bool                     { return h.n.producer.Load() }
func (h engineHost) Irreversible() block.SignedHeader { return *h.n.irr.Load() } // the loop's mirror
func (h engineHost) Producers() []block.PublicKey     { return h.n.set.Load().Keys() }

// loopChain is the chain as the engine's loop-side methods read it (loop
// goroutine only).
type loopChain struct{ n *Node }

func (c loopChain) IrreversibleID() block.ID     { return c.n.chain.IrreversibleID() }
func (c loopChain) Has(id block.ID) bool         { return c.n.chain.Tree().Has(id) }
func (c loopChain) Above() []*block.Block        { return c.n.chain.StoredAbove() }
func (c loopChain) Producers() []block.PublicKey { return c.n.set.Load().Keys() }

// follow carries out what the engine decided: pin notarized blocks, then
// make blocks irreversible in order.
func (n *Node) follow(f engine.Follow) {
	for _, id := range f.Pin {
		if res, err := n.chain.Pin(id); err == nil {
			n.onResult(res)
		}
	}
	for _, id := range f.Irreversible {
		n.setIrreversible(id)
	}
}

// addProposed stores a block that came with a BFT proposal; a refusal the
// proposer caused wraps bftrun.ErrInvalidBlock.
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
	n.prop.First(b, time.Now(), false, false, "bft")
	n.lp.view.Keep(b)
	n.onResult(res)
	n.bodyArrived(b)
	return nil
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
