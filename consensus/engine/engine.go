package engine

import (
	"context"
	"time"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bftrun"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/link"
)

// Engine is one consensus engine as a node drives it. Every node of a
// chain holds one (a full node too: it learns irreversibility through
// Arrived and Drain); the producing part runs between Start and Stop, or
// Leave.
//
// Concurrency: Start, Leave and Stop may block (raft's shutdown, a
// leadership hand-off) and are called from the node's background
// goroutines, never from its loop; Arrived and Drain belong to the loop
// goroutine; Leader, Leading, Running, PendingChanges, Status and Signal
// are safe for concurrent use and cheap.
type Engine interface {
	// Start runs this producer's part. prev is nil when the node starts
	// as a producer of the set in force, and the set a change replaced
	// when the change took this node in (it starts in the joint epoch
	// where the engine has one). A no-op while running, after Stop, or
	// when Host.Member says the node is not a producer.
	Start(prev []block.PublicKey) error
	// Leave follows a change that removed this producer and became
	// irreversible: the producing part stops once the engine no longer
	// needs it (raft: once its configuration dropped this node).
	Leave()
	// Stop stops the producing part for good; handoff hands leadership to
	// another producer first where the engine has a leader.
	Stop(handoff bool) error
	// Running reports whether the producing part runs (the node then
	// stays a routing destination).
	Running() bool
	// Leader is the producer that takes transactions now as the engine
	// knows it; ok is false when the engine has no view (not running, or
	// no single leader: the node then names the head block's producer).
	// An empty id with ok set means there is none (an election).
	Leader() (id link.PeerID, ok bool)
	// Leading reports whether this node takes transactions into its
	// mempool.
	Leading() bool
	// PendingChanges counts producer-set changes the engine committed but
	// has not carried out yet (raft's configuration), 0 for engines that
	// carry them out with the block.
	PendingChanges() int
	// Status is the engine's state for the admin API.
	Status() Status
	// Signal is written (without blocking) when Drain has work.
	Signal() <-chan struct{}
	// Arrived follows a block stored in the chain (produced here or
	// received), and Drain the engine's queued decisions: the chain
	// changes the loop must make, in order.
	Arrived(c Chain, b *block.Block) Follow
	Drain(c Chain) Follow
}

// Status is an engine's state at a glance.
type Status struct {
	// Running: the producing part runs (Term and Producing are its).
	Running bool
	// Term is raft's term or BFT's view.
	Term uint64
	// Producing is set while the node makes blocks (raft leader, BFT
	// member of the epoch, solo producer).
	Producing bool
	// Leader is raft's leader when LeaderKnown (empty: none).
	Leader      link.PeerID
	LeaderKnown bool
	// Raft and BFT are the engine's own status (/consensus).
	Raft *cft.Status
	BFT  *bftrun.Status
}

// Follow is what the loop must do to the chain after Arrived or Drain:
// pin the blocks in Pin (notarized: they may become final), then make
// each of Irreversible irreversible, in order. Every id is stored and
// above the irreversible block when the Follow is made.
type Follow struct {
	Pin          []block.ID
	Irreversible []block.ID
}

func (f *Follow) irreversible(id block.ID) { f.Irreversible = append(f.Irreversible, id) }

// Chain is the loop goroutine's view of the chain that Arrived and Drain
// read.
type Chain interface {
	IrreversibleID() block.ID
	Has(id block.ID) bool
	// Above lists the blocks stored above the irreversible one, parents
	// first.
	Above() []*block.Block
	// Producers is the producer set in force at the irreversible block.
	Producers() []block.PublicKey
}

// Build asks the host for this producer's block.
type Build struct {
	// Term goes into the header (raft term, BFT view).
	Term uint64
	// Parent is the block to build on.
	Parent block.ID
	// Certificate is the BFT finalization the body carries (nil: none).
	Certificate []byte
}

// Host is the node as an engine needs it. Its methods are called from the
// engines' goroutines and are safe for concurrent use; those with a ctx
// run on the node's loop and wait for it.
type Host interface {
	// Build makes, stores and syncs this producer's block (it refuses when
	// the node is not in the producer set in force for the block).
	Build(ctx context.Context, r Build) (*block.Block, error)
	// Add stores a block that came with a BFT proposal, checked like a
	// peer's (bftrun.Blocks).
	Add(ctx context.Context, b *block.Block) error
	// Timestamp is a stored block's header time (false: not stored).
	Timestamp(ctx context.Context, id block.ID) (time.Time, bool, error)
	// Stored lists the blocks stored above the irreversible one, parents
	// first.
	Stored(ctx context.Context) ([]*block.Block, error)
	// SetAfter is the producer set in the state after a block
	// (bftrun.Sets).
	SetAfter(id block.ID) ([]block.PublicKey, error)
	// Member reports whether the node is in the producer set in force.
	Member() bool
	// Irreversible is the irreversible block's header.
	Irreversible() block.SignedHeader
	// Producers is the producer set in force.
	Producers() []block.PublicKey
}

// newSignal returns a wake-up channel: one pending wake-up is enough.
func newSignal() chan struct{} { return make(chan struct{}, 1) }

func wake(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
