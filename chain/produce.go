package chain

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
)

// ProduceParams are what consensus supplies for a block the node produces.
type ProduceParams struct {
	// Term is the CFT raft term or BFT view; at least the head's.
	Term uint64
	// Timestamp is the producer's clock in unix nanoseconds (the chain has
	// no clock).
	Timestamp int64
	// ProducerSet is the hash of the producer set in force.
	ProducerSet block.Hash
	// Certificate is the BFT commit certificate to carry; nil under CFT.
	// It is kept, not copied.
	Certificate []byte
	// Parent is the block to build on; the zero id means the best head.
	// Consensus names it when the head is a block it has not committed (a
	// crashed leader's last block, disseminated before raft replicated its
	// id): the new block's higher term then wins fork choice over that
	// branch. It must be in the fork database.
	Parent block.ID
}

// Builder produces one block on top of the head the chain had at
// StartBlock: ApplyTx for each candidate transaction, then Finish. It
// belongs to the Chain's goroutine. Blocks may be added and irreversibility
// may advance while it is open; if its parent is pruned or passed,
// ApplyTx and Finish return ErrStaleBuilder.
type Builder struct {
	c    *Chain
	hdr  block.Header
	st   *State
	exec BlockExec
	txs  [][]byte
	cert []byte
	// err is sticky: after a fatal App error or Finish, the builder is done.
	err error
}

// StartBlock begins producing a block on p.Parent, or on the current head
// when p.Parent is zero.
func (c *Chain) StartBlock(p ProduceParams) (*Builder, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	head := c.tree.Head()
	if !p.Parent.IsZero() {
		var ok bool
		if head, ok = c.tree.Get(p.Parent); !ok {
			return nil, fmt.Errorf("chain: producing on %s: %w", p.Parent, ErrNotFound)
		}
	}
	if p.Term < head.Term {
		return nil, fmt.Errorf("chain: producing in term %d on a parent of term %d", p.Term, head.Term)
	}
	pex := c.execs[head.ID()]
	b := &Builder{
		c: c,
		hdr: block.Header{
			Height:      head.Height + 1,
			Parent:      head.ID(),
			Term:        p.Term,
			Timestamp:   p.Timestamp,
			StateRoot:   pex.root,
			ProducerSet: p.ProducerSet,
		},
		st:   newState(pex.ov, c.db),
		cert: p.Certificate,
	}
	hdr := b.hdr
	exec, err := c.app.StartBlock(b.st, &hdr)
	if err != nil {
		return nil, fmt.Errorf("chain: starting block: %w", err)
	}
	b.exec = exec
	return b, nil
}

// Header returns the header being built (TxRoot and Irreversible are filled
// in by Finish).
func (b *Builder) Header() block.Header { return b.hdr }

// Len returns the number of transactions included so far.
func (b *Builder) Len() int { return len(b.txs) }

// ApplyTx executes tx and includes it in the block. A rejected transaction
// (errors.Is(err, ErrTxRejected)) leaves no trace and the builder usable;
// any other error ends the builder. tx is kept: it must not be modified.
func (b *Builder) ApplyTx(tx []byte) error {
	if err := b.usable(); err != nil {
		return err
	}
	mark := b.st.mark()
	err := b.exec.ApplyTx(tx)
	switch {
	case err == nil:
		b.st.accept()
		b.txs = append(b.txs, tx)
		return nil
	case errors.Is(err, ErrTxRejected):
		b.st.rollback(mark)
		return err
	default:
		b.err = fmt.Errorf("chain: producing: %w", err)
		return b.err
	}
}

// Finish seals the block with key (whose public half becomes the producer),
// then stores it (unsynced; see Chain.Sync) and adds it to the fork
// database, where it normally becomes the head. The builder is done after.
func (b *Builder) Finish(key ed25519.PrivateKey) (*block.Block, Result, error) {
	if err := b.usable(); err != nil {
		return nil, Result{}, err
	}
	b.err = errors.New("chain: builder already finished")
	root, err := b.exec.Finish()
	if err != nil {
		return nil, Result{}, fmt.Errorf("chain: finishing block: %w", err)
	}
	b.hdr.Irreversible = b.irreversible()
	blk, err := block.Seal(b.hdr, b.txs, b.cert, key)
	if err != nil {
		return nil, Result{}, err
	}
	id := blk.ID()
	if err := b.c.log.Append([]*block.Block{blk}, pebble.NoSync); err != nil {
		return nil, Result{}, err
	}
	r, err := b.c.insert(blk.SignedHeader, id, &executed{ov: b.st.ov, root: root})
	if err != nil {
		return nil, Result{}, err
	}
	return blk, r, nil
}

// irreversible is the block's view of the irreversible block: ours, or the
// parent's if that is newer, since a child's view may not go back.
func (b *Builder) irreversible() block.ID {
	ours := b.c.tree.RootID()
	if parent, ok := b.c.tree.Get(b.hdr.Parent); ok && parent.Irreversible.Height() > ours.Height() {
		return parent.Irreversible
	}
	return ours
}

// usable fails when the builder is done or its parent left the tree. A
// parent that is still in the tree is the root or above it, so the state
// chain under the builder is intact.
func (b *Builder) usable() error {
	switch {
	case b.err != nil:
		return b.err
	case b.c.broken != nil:
		return b.c.broken
	case !b.c.tree.Has(b.hdr.Parent):
		return ErrStaleBuilder
	}
	return nil
}
