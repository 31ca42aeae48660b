package chain

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// Config configures a Chain.
type Config struct {
	// Logger receives the chain's rare operational messages (blocks dropped
	// while reloading, fork switches at debug level). The zero value is
	// silent.
	Logger zerolog.Logger
	// Limits bound stored blocks when they are decoded again; use the same
	// limits as the network decoder.
	Limits block.Limits
	// VerifyOnOpen walks and checks the whole log at open (Log.Verify)
	// instead of only its head. It reads every block: minutes on a long
	// chain.
	VerifyOnOpen bool
}

// DefaultConfig returns a silent config with block.DefaultLimits.
func DefaultConfig() Config { return Config{Limits: block.DefaultLimits()} }

// Validate reports the first unusable field. Limits must all be positive:
// zero limits would make every stored block undecodable.
func (c Config) Validate() error {
	l := c.Limits
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxBlockBytes", l.MaxBlockBytes}, {"MaxTxs", l.MaxTxs},
		{"MaxTxBytes", l.MaxTxBytes}, {"MaxCertificateBytes", l.MaxCertificateBytes},
	} {
		if f.v <= 0 {
			return fmt.Errorf("chain: Config.Limits.%s %d is not positive", f.name, f.v)
		}
	}
	return nil
}

// Chain is seed 003's chain layer: the block log, the fork database and the
// application state, kept consistent with each other. It is a pure data
// structure: it owns no goroutine and never calls the network; its owner
// feeds it blocks (Add), finality (SetIrreversible) and its own production
// (StartBlock), and acts on the Results.
//
// A Chain is not safe for concurrent use: one goroutine (the node's chain
// driver, or a simulated node) makes every call, including those on Views
// and Builders. Log reads are the exception (see Log).
type Chain struct {
	log     *Log
	db      *pebble.DB
	app     App
	tree    *forkdb.Tree
	genesis block.ID
	logger  zerolog.Logger
	// execs holds, for every block in the tree, its state overlay and the
	// state root after it.
	// Invariant: its keys are exactly the tree's blocks, and every one of
	// them is stored in the log.
	execs map[block.ID]*executed
	// broken is set when an irreversibility batch failed after the tree
	// moved: memory is ahead of disk and every later call fails.
	broken error
}

// executed is a block's execution result.
type executed struct {
	ov   *overlay
	root block.Hash // the application state root after the block
}

// Result says what a call did to the best chain.
type Result struct {
	// PrevHead and Head are the best head before and after the call.
	PrevHead, Head block.ID
	// Removed are the blocks that left the best chain, newest first, and
	// Added those that joined it, oldest first (forkdb.Tree.Diff); both are
	// empty when the head did not change.
	Removed, Added []block.ID
	// Pruned are the blocks SetIrreversible dropped from losing forks, and
	// the blocks MarkInvalid removed.
	Pruned []block.ID
}

// HeadChanged reports whether the best head moved.
func (r Result) HeadChanged() bool { return r.Head != r.PrevHead }

// Head returns the best head's header.
func (c *Chain) Head() block.SignedHeader { return c.tree.Head() }

// HeadID returns the best head's id.
func (c *Chain) HeadID() block.ID { return c.tree.HeadID() }

// Irreversible returns the last irreversible block's header.
func (c *Chain) Irreversible() block.SignedHeader { return c.tree.Root() }

// IrreversibleID returns the last irreversible block's id.
func (c *Chain) IrreversibleID() block.ID { return c.tree.RootID() }

// Genesis returns the genesis block's id.
func (c *Chain) Genesis() block.ID { return c.genesis }

// Tree returns the fork database for queries (Diff, CommonAncestor, InBest,
// BestAt, Children, ...). The caller must not modify it: use the Chain's
// Add, SetIrreversible, Pin, Unpin and MarkInvalid, which keep the log and
// the state in step.
func (c *Chain) Tree() *forkdb.Tree { return c.tree }

// Log returns the block log.
func (c *Chain) Log() *Log { return c.log }

// Block returns a block of the fork database or of the irreversible chain.
func (c *Chain) Block(id block.ID) (*block.Block, error) { return c.log.Block(id) }

// StoredAbove lists the blocks stored above the irreversible one, parents
// first (breadth first over the fork database).
func (c *Chain) StoredAbove() []*block.Block {
	var out []*block.Block
	for q := c.tree.Children(c.IrreversibleID()); len(q) > 0; q = q[1:] {
		if b, err := c.Block(q[0]); err == nil {
			out = append(out, b)
		}
		q = append(q, c.tree.Children(q[0])...)
	}
	return out
}

// Header returns the signed header of a stored block without reading its
// body (Log.Header).
func (c *Chain) Header(id block.ID) (block.SignedHeader, error) { return c.log.Header(id) }

// BlockAt returns the block at height on the irreversible chain.
func (c *Chain) BlockAt(height uint64) (*block.Block, error) { return c.log.BlockAt(height) }

// StateRoot returns the application state root after executing a block of
// the fork database (the root the block's children carry).
func (c *Chain) StateRoot(id block.ID) (block.Hash, bool) {
	ex := c.execs[id]
	if ex == nil {
		return block.Hash{}, false
	}
	return ex.root, true
}

// StateAt returns a view of the application state after a block of the fork
// database.
func (c *Chain) StateAt(id block.ID) (*View, error) {
	ex := c.execs[id]
	if ex == nil {
		return nil, fmt.Errorf("%w: state of %s (not in the fork database)", ErrNotFound, id)
	}
	return &View{ov: ex.ov, db: c.db}, nil
}

// HeadState returns a view of the state after the best head.
func (c *Chain) HeadState() *View { return &View{ov: c.execs[c.tree.HeadID()].ov, db: c.db} }

// IrreversibleState returns a view of the durable state after the
// irreversible block.
func (c *Chain) IrreversibleState() *View {
	return &View{ov: c.execs[c.tree.RootID()].ov, db: c.db}
}

// Sync makes every block stored so far durable with one fsync. Add and
// Finish store blocks without syncing so that a driver can batch: call Sync
// before telling a peer or consensus that a block is stored.
func (c *Chain) Sync() error { return c.log.Sync() }

// headResult completes a Result from the head before a change.
func (c *Chain) headResult(prev block.ID) (Result, error) {
	c.checkInvariants()
	r := Result{PrevHead: prev, Head: c.tree.HeadID()}
	if !r.HeadChanged() {
		return r, nil
	}
	var err error
	r.Removed, r.Added, err = c.tree.Diff(prev, r.Head)
	if err != nil {
		// The previous head was pruned: everything from the root to the
		// new head is what the caller must (re)apply.
		r.Removed = nil
		r.Added = c.pathFromRoot(r.Head)
	}
	if len(r.Removed) > 0 {
		c.logger.Debug().Stringer("from", prev).Stringer("to", r.Head).Int("removed", len(r.Removed)).Msg("fork switch")
	}
	return r, nil
}

// pathFromRoot returns the ids above the root up to id, oldest first.
func (c *Chain) pathFromRoot(id block.ID) []block.ID {
	root := c.tree.RootID().Height()
	var path []block.ID
	for h := root + 1; h <= id.Height(); h++ {
		a, ok := c.tree.Ancestor(id, h)
		if !ok {
			break
		}
		path = append(path, a)
	}
	return path
}
