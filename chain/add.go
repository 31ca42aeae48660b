package chain

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// Add validates a block, executes it on its parent's state, stores it
// (unsynced; see Sync) and inserts it into the fork database. The Result
// says whether the best head moved and the fork-switch diff.
//
// Every refusal a peer can cause is a *Error with a Reason (ReasonOf);
// ReasonDuplicate is harmless and ReasonUnknownParent asks the caller to
// fetch the parent. A block whose own signed content is invalid (a rejected
// transaction, a wrong state root or irreversible block) is blacklisted, so
// that it and its descendants are refused cheaply later. Other errors come
// from the database or the App and are not the sender's fault. On any error
// the log, the fork database and the state are as before the call, apart
// from that blacklist entry.
//
// b is kept and shared: it must not be modified afterwards.
func (c *Chain) Add(b *block.Block) (Result, error) {
	if c.broken != nil {
		return Result{}, c.broken
	}
	id := b.ID()
	parent, err := c.admit(b, id)
	if err != nil {
		return Result{}, err
	}
	ex, err := c.execute(b, id, parent)
	if err != nil {
		return Result{}, err
	}
	if err := c.log.Append([]*block.Block{b}, pebble.NoSync); err != nil {
		return Result{}, err
	}
	return c.insert(b.SignedHeader, id, ex)
}

// reject builds a refusal.
func reject(r Reason, id block.ID, detail string, err error) *Error {
	return &Error{Reason: r, ID: id, Detail: detail, Err: err}
}

// admit runs the checks that need no execution, cheapest first, and returns
// the parent's header.
func (c *Chain) admit(b *block.Block, id block.ID) (block.SignedHeader, error) {
	var parent block.SignedHeader
	if err := c.checkKnown(b, id); err != nil {
		return parent, err
	}
	parent, ok := c.tree.Get(b.Parent)
	if !ok {
		return parent, reject(ReasonUnknownParent, id, "parent "+b.Parent.String(), nil)
	}
	if err := b.Check(); err != nil {
		return parent, reject(Reason(block.ReasonOf(err)), id, "", err)
	}
	if b.Term < parent.Term {
		return parent, reject(ReasonBadTerm, id, fmt.Sprintf("term %d, parent term %d", b.Term, parent.Term), nil)
	}
	return parent, nil
}

// checkKnown refuses duplicates, blocks at or below the irreversible height
// and blacklisted blocks, before any signature is checked.
func (c *Chain) checkKnown(b *block.Block, id block.ID) error {
	if c.tree.Has(id) {
		return reject(ReasonDuplicate, id, "", nil)
	}
	if root := c.tree.RootID().Height(); b.Height <= root {
		onChain, err := c.log.IDAt(b.Height)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if onChain == id {
			return reject(ReasonDuplicate, id, "irreversible", nil)
		}
		return reject(ReasonBelowIrreversible, id, fmt.Sprintf("irreversible height %d", root), nil)
	}
	if c.tree.IsInvalid(id) {
		return reject(ReasonInvalid, id, "blacklisted", nil)
	}
	if c.tree.IsInvalid(b.Parent) {
		return reject(ReasonInvalidAncestor, id, "parent "+b.Parent.String(), nil)
	}
	return nil
}

// execute checks the header fields that depend on the parent's execution,
// then runs the transactions on a new overlay. Failures of the block's
// signed content blacklist it.
func (c *Chain) execute(b *block.Block, id block.ID, parent block.SignedHeader) (*executed, error) {
	pex := c.execs[b.Parent]
	if err := c.checkIrreversible(b, id, parent); err != nil {
		return nil, c.blacklist(b, err)
	}
	if b.StateRoot != pex.root {
		return nil, c.blacklist(b, reject(ReasonBadStateRoot, id, fmt.Sprintf("header %s, parent's state %s", b.StateRoot, pex.root), nil))
	}
	ex, err := c.run(&b.Header, b.Txs, pex)
	var txErr *txFailure
	if errors.As(err, &txErr) {
		return nil, c.blacklist(b, reject(ReasonBadTx, id, fmt.Sprintf("transaction %d", txErr.index), txErr.err))
	}
	if err != nil {
		return nil, fmt.Errorf("chain: executing block %s: %w", id, err)
	}
	return ex, nil
}

// checkIrreversible checks the header's view of the irreversible block: it
// is an ancestor of the block (or zero before anything is final) and no
// older than the parent's.
func (c *Chain) checkIrreversible(b *block.Block, id block.ID, parent block.SignedHeader) error {
	irr := b.Irreversible
	h := irr.Height()
	bad := func(detail string) error { return reject(ReasonBadIrreversible, id, detail, nil) }
	switch {
	case h < parent.Irreversible.Height():
		return bad(fmt.Sprintf("%s is older than the parent's %s", irr, parent.Irreversible))
	case h == 0:
		if !irr.IsZero() {
			return bad("nonzero id at height 0")
		}
		return nil
	case h >= c.tree.RootID().Height():
		if a, ok := c.tree.Ancestor(b.Parent, h); !ok || a != irr {
			return bad(fmt.Sprintf("%s is not an ancestor", irr))
		}
		return nil
	}
	onChain, err := c.log.IDAt(h)
	if err != nil {
		return err
	}
	if onChain != irr {
		return bad(fmt.Sprintf("%s is not on the irreversible chain", irr))
	}
	return nil
}

// txFailure reports which transaction the App rejected.
type txFailure struct {
	index int
	err   error
}

func (f *txFailure) Error() string { return fmt.Sprintf("transaction %d: %v", f.index, f.err) }
func (f *txFailure) Unwrap() error { return f.err }

// run executes txs for header h on top of the parent's state. A rejected
// transaction is returned as a *txFailure.
func (c *Chain) run(h *block.Header, txs [][]byte, pex *executed) (*executed, error) {
	st := newState(pex.ov, c.db)
	hdr := *h
	exec, err := c.app.StartBlock(st, &hdr)
	if err != nil {
		return nil, err
	}
	for i, tx := range txs {
		if err := exec.ApplyTx(tx); err != nil {
			if errors.Is(err, ErrTxRejected) {
				return nil, &txFailure{index: i, err: err}
			}
			return nil, err
		}
	}
	root, err := exec.Finish()
	if err != nil {
		return nil, err
	}
	return &executed{ov: st.ov, root: root}, nil
}

// blacklist records in the fork database that a block whose signature was
// verified is invalid, so that it and its descendants are refused without
// execution. Only signed content may be blacklisted: a body that does not
// match its header's transaction root is refused by Check before this, and
// must not be, or anyone could blacklist a good block's id by tampering.
func (c *Chain) blacklist(b *block.Block, refusal error) error {
	var e *Error
	if !errors.As(refusal, &e) {
		return refusal // a database error, not the block's fault
	}
	if err := c.tree.Insert(b.SignedHeader); err == nil {
		if _, err := c.tree.MarkInvalid(b.ID()); err != nil {
			// MarkInvalid fails only for the root or an unknown id, neither
			// of which a just-inserted block can be.
			panic("chain: blacklisting a block just inserted: " + err.Error())
		}
	}
	return refusal
}

// insert adds an executed, stored block to the fork database.
func (c *Chain) insert(h block.SignedHeader, id block.ID, ex *executed) (Result, error) {
	prev := c.tree.HeadID()
	if err := c.tree.Insert(h); err != nil {
		// admit checked everything Insert checks; keep the log clean anyway.
		_ = c.log.drop(id)
		return Result{}, reject(Reason(forkdb.ReasonOf(err)), id, "", err)
	}
	c.execs[id] = ex
	return c.headResult(prev)
}
