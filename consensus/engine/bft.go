package engine

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/bftstore"
	"github.com/blockwire/blockwire/link"
)

// BFTConfig configures the BFT engine of a node (NewBFT).
type BFTConfig struct {
	// ChainID is the genesis id: signed into every vote and certificate.
	ChainID block.Hash
	Key     ed25519.PrivateKey
	// DB keeps the safety records (bftstore) next to the chain.
	DB *pebble.DB
	// Messenger carries votes (the routed transport's consensus class).
	Messenger bftrun.Messenger
	// BlockLimits bound a block received with a proposal.
	BlockLimits block.Limits
	// BlockInterval paces blocks: a producer builds no sooner than this
	// after its parent (an idle chain does not spin).
	BlockInterval time.Duration
	// LeaderTimeout, when positive, replaces bft's default leader timeout
	// (consensus.bft_leader_timeout); see Timeouts.
	LeaderTimeout time.Duration
	// Refused is bftrun.Deps.Refused (the node charges the origin).
	Refused func(from link.PeerID, reason string, err error)
	// Publish, when set, sends a finalization certificate (block-body
	// encoding) of a block this producer proposed to every node, the
	// moment it forms; each node hands it to Certified. Called on the
	// loop goroutine (Drain): it must not block.
	Publish func(cert []byte)
	Logger  zerolog.Logger
}

// BFT is consensus.engine = "bft": a bftrun.Runner on producers (safety
// records in the node's pebble database), and on every node a
// bftrun.Finality that makes blocks irreversible only on certificates
// carried in later blocks' bodies. The protocol lives in consensus/bft,
// bftrun and bftchain; this type only wires them to a Host.
type BFT struct {
	cfg  BFTConfig
	host Host
	log  zerolog.Logger

	run      atomic.Pointer[bftrun.Runner]
	fin      *bftrun.Finality // the runner's Applier and the follower
	signal   chan struct{}
	mu       sync.Mutex // orders Start and Stop
	stopping bool
}

// NewBFT returns the engine of a node; nothing runs until Start.
func NewBFT(cfg BFTConfig, host Host) *BFT {
	e := &BFT{cfg: cfg, host: host, log: cfg.Logger, signal: newSignal()}
	e.fin = bftrun.NewFinality(cfg.ChainID, e.signal)
	return e
}

var _ Engine = (*BFT)(nil)

// Start starts this producer's runner. prev is the set a change just
// replaced when the node joins: the runner starts in the joint epoch. A
// producer removed earlier and taken in again replaces the idle runner
// that left the epochs.
func (e *BFT) Start(prev []block.PublicKey) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev != nil {
		if r := e.run.Load(); r != nil && !r.Status().Member {
			e.run.Store(nil)
			r.Stop() // removed earlier: its runner left the epochs
		}
	}
	if e.stopping || e.run.Load() != nil || !e.host.Member() {
		return nil
	}
	irr := e.host.Irreversible()
	cfg := bftrun.DefaultConfig(e.cfg.ChainID, e.cfg.Key, bft.Root{ID: irr.ID(), View: irr.Term}, e.host.Producers())
	cfg.Prev, cfg.BlockLimits, cfg.Logger = prev, e.cfg.BlockLimits, e.cfg.Logger
	cfg.Engine = Timeouts(cfg.Engine, e.cfg.LeaderTimeout)
	r, err := bftrun.New(cfg, bftrun.Deps{Store: bftstore.New(e.cfg.DB), Messenger: e.cfg.Messenger,
		Producer: bftProducer{e}, Applier: e.fin, Blocks: bftBlocks{e.host}, Sets: e.host, Refused: e.cfg.Refused})
	if err != nil {
		return fmt.Errorf("engine: starting bft consensus: %w", err)
	}
	e.run.Store(r)
	// The blocks stored above the irreversible one (a joiner's, or before
	// a restart): the engine may have to build on one.
	stored, err := e.host.Stored(context.Background())
	for _, b := range stored {
		r.AddBlock(&b.SignedHeader)
	}
	return err
}

// Leave does nothing: a removed producer's runner stops signing by itself
// once the joint epoch (which may need its vote) ends, and stays as an
// idle follower.
func (e *BFT) Leave() {}

// Stop stops the runner (before the database closes).
func (e *BFT) Stop(bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopping = true
	if r := e.run.Swap(nil); r != nil {
		r.Stop()
	}
	return nil
}

// Running reports whether a runner runs here.
func (e *BFT) Running() bool { return e.run.Load() != nil }

// Leader: BFT rotates the leader per view, so the node names none; every
// producer takes transactions into its own mempool.
func (e *BFT) Leader() (link.PeerID, bool) { return "", false }

// Leading reports whether this node takes transactions: every producer
// running a runner does.
func (e *BFT) Leading() bool { return e.Running() }

// PendingChanges is 0: a change is carried out with its block.
func (e *BFT) PendingChanges() int { return 0 }

// Status is the runner's state while it runs here.
func (e *BFT) Status() Status {
	r := e.run.Load()
	if r == nil {
		return Status{}
	}
	st := r.Status()
	return Status{Running: true, Term: st.View, Producing: st.Member, BFT: &st}
}

// Signal is written when the runner certified blocks.
func (e *BFT) Signal() <-chan struct{} { return e.signal }

// Arrived follows a stored block: the runner may need it, and the
// certificate its body carries is verified (the only way a full node
// learns finality: header claims are not trusted under BFT).
func (e *BFT) Arrived(c Chain, b *block.Block) Follow {
	if r := e.run.Load(); r != nil {
		r.AddBlock(&b.SignedHeader)
	}
	if err := e.fin.Follow(b, c.IrreversibleID(), c.Producers(), c.Above); err != nil {
		e.log.Debug().Err(err).Stringer("block", b.ID()).Msg("bft follower refused a block")
	}
	return e.Drain(c)
}

// Certified follows a finalization certificate that came on its own
// (another producer's Publish): verified against the sets the final chain
// put in force, it makes its block irreversible now if stored, else when
// the block arrives. A producer running a runner learns finality from its
// own engine and ignores it. The error is the follower's refusal
// (bftchain reasons: bad-certificate names a producer that signed
// garbage, unknown-set a node that lags a producer-set change).
func (e *BFT) Certified(c Chain, raw []byte) (Follow, error) {
	if e.Running() {
		return Follow{}, nil
	}
	err := e.fin.Certified(raw, c.IrreversibleID(), c.Producers(), c.Above)
	return e.Drain(c), err
}

// Drain pins notarized blocks and makes the newest final one
// irreversible once stored; it publishes the certificates of our own
// blocks (Publish) first, so that they leave before the local work.
func (e *BFT) Drain(c Chain) Follow {
	for _, cert := range e.fin.Publish() {
		if e.cfg.Publish != nil {
			e.cfg.Publish(cert)
		}
	}
	var f Follow
	irr := c.IrreversibleID().Height()
	for _, id := range e.fin.Take() {
		if id.Height() > irr && c.Has(id) {
			f.Pin = append(f.Pin, id)
		}
	}
	if id := e.fin.Final(); id.Height() > irr && c.Has(id) {
		f.irreversible(id)
	}
	return f
}

// bftProducer is the runner's Producer.
type bftProducer struct{ e *BFT }

// Produce builds our block of a view on req.Parent, no sooner than the
// block interval after the parent (an idle chain does not spin).
func (p bftProducer) Produce(ctx context.Context, req bftrun.ProduceRequest) (bftrun.Produced, error) {
	at, ok, err := p.e.host.Timestamp(ctx, req.Parent)
	if err != nil {
		return bftrun.Produced{}, err
	}
	// At most one interval: a parent stamped by a clock ahead of ours
	// must not hold the view past its leader timeout.
	interval := p.e.cfg.BlockInterval
	if !ok {
		at = time.Unix(0, 0)
	}
	if wait := min(time.Until(at.Add(interval)), interval); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return bftrun.Produced{}, ctx.Err()
		}
	}
	blk, err := p.e.host.Build(ctx, Build{Term: req.View, Parent: req.Parent, Certificate: req.Certificate})
	return bftrun.Produced{Block: blk}, err
}

// bftBlocks is the runner's Blocks.
type bftBlocks struct{ h Host }

func (b bftBlocks) Add(ctx context.Context, blk *block.Block) error { return b.h.Add(ctx, blk) }

// Timeouts sets the engine's leader timeout to leader (unchanged when
// leader is 0) and the timers that follow from it: a view that had a
// proposal but no notarization is nullified after twice that, and votes
// of a nullified view are re-sent once per leader timeout.
func Timeouts(c bft.Config, leader time.Duration) bft.Config {
	if leader <= 0 {
		return c
	}
	c.LeaderTimeout, c.AdvanceTimeout, c.RetryInterval = leader, 2*leader, leader
	return c
}
