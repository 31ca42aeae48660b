package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
)

// Log is the block log on pebble: blocks by id (the irreversible chain and
// the live forks above it), the irreversible chain by height, and the
// irreversible pointer. See the package doc for the key layout.
//
// Log's read methods are safe for concurrent use, and give a consistent
// answer for the irreversible chain at or below any pointer read earlier:
// entries are only ever added above the pointer, in the same batch that moves
// it. Writes are made by the Chain that owns the log.
type Log struct {
	db     *pebble.DB
	limits block.Limits
	// bodyReads counts the block bodies read and decoded (Block, BlockAt):
	// the costly reads that peer input must never cause in bulk.
	bodyReads atomic.Uint64
}

// NewLog returns a log over db, decoding stored blocks within lim.
func NewLog(db *pebble.DB, lim block.Limits) *Log { return &Log{db: db, limits: lim} }

// DB returns the underlying database.
func (l *Log) DB() *pebble.DB { return l.db }

// Block returns the stored block with id, or ErrNotFound. The block is a
// private copy.
func (l *Log) Block(id block.ID) (*block.Block, error) {
	l.bodyReads.Add(1)
	val, err := l.get(blockKey(id))
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", id, err)
	}
	return l.decodeStored(id, val)
}

// Header returns the signed header of the stored block with id, or
// ErrNotFound, without reading the body: one small record (prefixHeader).
func (l *Log) Header(id block.ID) (block.SignedHeader, error) {
	val, err := l.get(headerKey(id))
	if err != nil {
		return block.SignedHeader{}, fmt.Errorf("header %s: %w", id, err)
	}
	h, err := block.DecodeSignedHeader(val)
	if err != nil {
		return h, fmt.Errorf("%w: stored header %s: %w", ErrCorrupt, id, err)
	}
	if got := h.ID(); got != id {
		return h, fmt.Errorf("%w: header key %s holds header %s", ErrCorrupt, id, got)
	}
	return h, nil
}

// BodyReads returns how many block bodies the log has read (Block and
// BlockAt calls): operators and tests see whether peer input causes them.
func (l *Log) BodyReads() uint64 { return l.bodyReads.Load() }

// Has reports whether a block with id is stored. It reads the header
// record only.
func (l *Log) Has(id block.ID) (bool, error) {
	_, err := l.get(headerKey(id))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// IDAt returns the id at height on the irreversible chain, or ErrNotFound
// above the irreversible height.
func (l *Log) IDAt(height uint64) (block.ID, error) {
	var id block.ID
	val, err := l.get(heightKey(height))
	if err != nil {
		return id, fmt.Errorf("height %d: %w", height, err)
	}
	if len(val) != len(id) || binary.BigEndian.Uint64(val) != height {
		return id, fmt.Errorf("%w: height index %d holds %x", ErrCorrupt, height, val)
	}
	copy(id[:], val)
	return id, nil
}

// BlockAt returns the block at height on the irreversible chain.
func (l *Log) BlockAt(height uint64) (*block.Block, error) {
	id, err := l.IDAt(height)
	if err != nil {
		return nil, err
	}
	return l.Block(id)
}

// Pointer returns the irreversible pointer; ok is false for a database that
// holds no chain yet.
func (l *Log) Pointer() (p Pointer, ok bool, err error) {
	val, err := l.get(metaIrreversible())
	if errors.Is(err, ErrNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	p, err = decodePointer(val)
	return p, err == nil, err
}

// Append stores blocks by id in one batch, synced when opts is pebble.Sync.
// It does not touch the irreversible chain. Re-storing a block is harmless:
// a block's encoding is a function of its id.
func (l *Log) Append(blocks []*block.Block, opts *pebble.WriteOptions) error {
	b := l.db.NewBatch()
	defer func() { _ = b.Close() }()
	for _, blk := range blocks {
		if err := putBlock(b, blk); err != nil {
			return fmt.Errorf("chain: storing block: %w", err)
		}
	}
	if err := b.Commit(opts); err != nil {
		return fmt.Errorf("chain: storing blocks: %w", err)
	}
	return nil
}

// putBlock encodes blk straight into the batch (no intermediate copy of
// what may be megabytes) with its header record.
func putBlock(b *pebble.Batch, blk *block.Block) error {
	id := blk.ID()
	if err := b.Set(headerKey(id), blk.SignedHeader.AppendEncoding(make([]byte, 0, block.SignedHeaderSize)), nil); err != nil {
		return err
	}
	op := b.SetDeferred(1+len(id), blk.EncodedSize())
	op.Key[0] = prefixBlock
	copy(op.Key[1:], id[:])
	if enc := blk.AppendEncoding(op.Value[:0]); len(enc) != len(op.Value) {
		// EncodedSize and AppendEncoding disagree: a bug in chain/block.
		panic(fmt.Sprintf("chain: block %s encoded to %d bytes, EncodedSize %d", id, len(enc), len(op.Value)))
	}
	return op.Finish()
}

// deleteBlock adds to batch the deletion of a stored block and its header
// record.
func deleteBlock(batch *pebble.Batch, id block.ID) error {
	if err := batch.Delete(blockKey(id), nil); err != nil {
		return err
	}
	return batch.Delete(headerKey(id), nil)
}

// drop deletes a stored block and its header record, unsynced.
func (l *Log) drop(id block.ID) error {
	b := l.db.NewBatch()
	defer func() { _ = b.Close() }()
	if err := deleteBlock(b, id); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}

// Sync makes every earlier write to the database durable (one WAL fsync).
// Unsynced writes are written in order, so a crash loses a suffix of them.
func (l *Log) Sync() error {
	if err := l.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("chain: syncing: %w", err)
	}
	return nil
}

// get returns a copy of the value of key, or ErrNotFound.
func (l *Log) get(key []byte) ([]byte, error) {
	val, closer, err := l.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("chain: reading log: %w", err)
	}
	out := bytes.Clone(val)
	return out, closer.Close()
}

// decodeStored decodes a stored block and checks that it is the one its key
// names; anything else is corruption, never peer input.
func (l *Log) decodeStored(id block.ID, val []byte) (*block.Block, error) {
	b, err := block.Decode(val, l.limits)
	if err != nil {
		return nil, fmt.Errorf("%w: stored block %s: %w", ErrCorrupt, id, err)
	}
	if got := b.ID(); got != id {
		return nil, fmt.Errorf("%w: key %s holds block %s", ErrCorrupt, id, got)
	}
	return b, nil
}

// putIrreversible adds to batch the height index entries of path (the newly
// irreversible blocks, oldest first) and the pointer to its last block.
func putIrreversible(batch *pebble.Batch, path []block.ID, p Pointer) error {
	for _, id := range path {
		if err := batch.Set(heightKey(id.Height()), id[:], nil); err != nil {
			return err
		}
	}
	return batch.Set(metaIrreversible(), p.encode(), nil)
}

// putOverlay adds an overlay's writes to the durable state in batch.
func putOverlay(batch *pebble.Batch, o *overlay) error {
	for k, e := range o.writes {
		var err error
		if e.deleted {
			err = batch.Delete(stateKey([]byte(k)), nil)
		} else {
			err = batch.Set(stateKey([]byte(k)), e.value, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
