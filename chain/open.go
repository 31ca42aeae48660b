package chain

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/forkdb"
)

// Open opens the chain stored in db, or starts one from genesis in an empty
// database. The caller keeps ownership of db and closes it after the Chain
// is no longer used. app must be the App the chain was built with.
//
// On a fresh database Open executes genesis on the empty state and writes
// it as the first irreversible block in one synced batch. On an existing
// one it checks the log's head (Log.Verify with cfg.VerifyOnOpen), rebuilds
// the fork database from the irreversible block, and re-executes the stored
// blocks above it, dropping any that no longer fit (a crash can only lose
// a suffix of unsynced writes, so this drops nothing in practice).
func Open(db *pebble.DB, app App, genesis *block.Block, cfg Config) (*Chain, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkGenesis(genesis); err != nil {
		return nil, err
	}
	c := &Chain{
		log:     NewLog(db, cfg.Limits),
		db:      db,
		app:     app,
		genesis: genesis.ID(),
		logger:  cfg.Logger,
		execs:   make(map[block.ID]*executed),
	}
	_, ok, err := c.log.Pointer()
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := c.initialize(genesis); err != nil {
			return nil, err
		}
	}
	p, err := c.log.checkHead(c.genesis)
	if err != nil {
		return nil, err
	}
	if err := c.log.buildHeaderIndex(c.logger); err != nil {
		return nil, err
	}
	if cfg.VerifyOnOpen {
		if err := c.log.Verify(c.genesis); err != nil {
			return nil, err
		}
	}
	root, err := c.log.Block(p.ID)
	if err != nil {
		return nil, err
	}
	c.tree = forkdb.New(root.SignedHeader)
	c.execs[p.ID] = &executed{ov: &overlay{durable: true}, root: p.StateRoot}
	if err := c.reload(p.ID.Height()); err != nil {
		return nil, err
	}
	c.checkInvariants()
	return c, nil
}

func checkGenesis(g *block.Block) error {
	if g == nil {
		return errors.New("chain: no genesis block")
	}
	if g.Height != 1 || !g.Parent.IsZero() {
		return fmt.Errorf("chain: genesis %s must have height 1 and the zero parent", g.ID())
	}
	if err := g.Check(); err != nil {
		return fmt.Errorf("chain: genesis: %w", err)
	}
	return nil
}

// initialize writes genesis, its state and the first pointer into a
// database that holds no chain, in one synced batch.
func (c *Chain) initialize(g *block.Block) error {
	for _, p := range []byte{prefixBlock, prefixHeader, prefixHeight, prefixState} {
		k, err := c.log.firstKey([]byte{p}, prefixEnd(p))
		if err != nil {
			return err
		}
		if k != nil {
			return fmt.Errorf("%w: no irreversible pointer, but key %x exists", ErrCorrupt, k)
		}
	}
	ex, err := c.run(&g.Header, g.Txs, &executed{ov: &overlay{durable: true}, root: g.StateRoot})
	if err != nil {
		return fmt.Errorf("chain: executing genesis: %w", err)
	}
	batch := c.db.NewBatch()
	defer func() { _ = batch.Close() }()
	if err := putBlock(batch, g); err != nil {
		return err
	}
	if err := putOverlay(batch, ex.ov); err != nil {
		return err
	}
	if err := putIrreversible(batch, []block.ID{c.genesis}, Pointer{ID: c.genesis, StateRoot: ex.root}); err != nil {
		return err
	}
	if err := batch.Set(metaHeaderIndex(), []byte{headerIndexVersion}, nil); err != nil {
		return err
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("chain: writing genesis: %w", err)
	}
	return nil
}

// reload re-adds the stored blocks above the irreversible height. Block ids
// begin with the height, so the blocks table yields parents before
// children.
func (c *Chain) reload(irreversible uint64) error {
	lower := blockKey(block.ID{})
	binary.BigEndian.PutUint64(lower[1:9], irreversible+1)
	iter, err := c.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefixBlock)})
	if err != nil {
		return fmt.Errorf("chain: reloading: %w", err)
	}
	var stale []block.ID
	for iter.First(); iter.Valid(); iter.Next() {
		var id block.ID
		copy(id[:], iter.Key()[1:])
		if err := c.readd(id, iter.Value()); err != nil {
			var e *Error
			if !errors.As(err, &e) && !errors.Is(err, ErrCorrupt) {
				_ = iter.Close()
				return err
			}
			c.logger.Warn().Err(err).Stringer("block", id).Msg("dropping a stored block that no longer fits the chain")
			stale = append(stale, id)
		}
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("chain: reloading: %w", err)
	}
	for _, id := range stale {
		if err := c.log.drop(id); err != nil {
			return fmt.Errorf("chain: dropping stale block: %w", err)
		}
	}
	return nil
}

// readd re-executes and re-inserts one stored block.
func (c *Chain) readd(id block.ID, val []byte) error {
	b, err := c.log.decodeStored(id, append([]byte(nil), val...))
	if err != nil {
		return err
	}
	parent, err := c.admit(b, id)
	if err != nil {
		return err
	}
	ex, err := c.execute(b, id, parent)
	if err != nil {
		return err
	}
	_, err = c.insert(b.SignedHeader, id, ex)
	return err
}
