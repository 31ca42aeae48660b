package chain

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain/block"
)

// headerIndexBatch bounds the bytes of one batch while building the header
// index (each record is block.SignedHeaderSize bytes).
const headerIndexBatch = 4 << 20

// buildHeaderIndex writes the header record of every stored block of a
// database written before the header index existed, then the marker, in
// synced batches. A database that has the marker is left alone (one small
// read). The stored encoding of a block begins with its signed header's
// encoding, so only that prefix of each value is used; pebble still reads
// each value once, which for a long log takes a while: the upgrade is
// logged. A crash midway leaves no marker, and the next open starts over
// (re-writing a record is harmless).
func (l *Log) buildHeaderIndex(log zerolog.Logger) error {
	_, err := l.get(metaHeaderIndex())
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	log.Info().Msg("building the block header index (a database from an earlier version)")
	iter, err := l.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixBlock}, UpperBound: prefixEnd(prefixBlock)})
	if err != nil {
		return fmt.Errorf("chain: building the header index: %w", err)
	}
	defer func() { _ = iter.Close() }()
	batch := l.db.NewBatch()
	defer func() { _ = batch.Close() }()
	n := 0
	for iter.First(); iter.Valid(); iter.Next() {
		var id block.ID
		copy(id[:], iter.Key()[1:])
		val := iter.Value()
		if len(val) < block.SignedHeaderSize {
			return fmt.Errorf("%w: stored block %s of %d bytes", ErrCorrupt, id, len(val))
		}
		if err := batch.Set(headerKey(id), val[:block.SignedHeaderSize], nil); err != nil {
			return err
		}
		n++
		if batch.Len() >= headerIndexBatch {
			if err := batch.Commit(pebble.Sync); err != nil {
				return fmt.Errorf("chain: building the header index: %w", err)
			}
			batch.Reset()
		}
	}
	if err := iter.Error(); err != nil {
		return fmt.Errorf("chain: building the header index: %w", err)
	}
	if err := batch.Set(metaHeaderIndex(), []byte{headerIndexVersion}, nil); err != nil {
		return err
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("chain: building the header index: %w", err)
	}
	log.Info().Int("blocks", n).Msg("block header index built")
	return nil
}
