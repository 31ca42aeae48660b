package chain

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/blockwire/blockwire/chain/block"
)

// checkHead is the cheap consistency check run on every open: the pointer
// decodes, names a stored block whose parent is the previous irreversible
// block, the height index agrees at the pointer and holds nothing above it,
// and height 1 is our genesis. It returns the pointer.
func (l *Log) checkHead(genesis block.ID) (Pointer, error) {
	p, ok, err := l.Pointer()
	if err != nil {
		return p, err
	}
	if !ok {
		return p, fmt.Errorf("%w: no irreversible pointer", ErrCorrupt)
	}
	g, err := l.IDAt(1)
	switch {
	case errors.Is(err, ErrNotFound):
		return p, fmt.Errorf("%w: no genesis in the height index", ErrCorrupt)
	case err != nil:
		return p, err
	case g != genesis:
		return p, fmt.Errorf("%w: stored %s, configured %s", ErrGenesisMismatch, g, genesis)
	}
	top, err := l.IDAt(p.ID.Height())
	if err != nil {
		return p, fmt.Errorf("%w: pointer %s: %w", ErrCorrupt, p.ID, err)
	}
	if top != p.ID {
		return p, fmt.Errorf("%w: pointer %s, height index %s", ErrCorrupt, p.ID, top)
	}
	b, err := l.Block(p.ID)
	if err != nil {
		return p, fmt.Errorf("%w: irreversible block: %w", ErrCorrupt, err)
	}
	if h := p.ID.Height(); h > 1 {
		if prev, err := l.IDAt(h - 1); err != nil || prev != b.Parent {
			return p, fmt.Errorf("%w: block %s has parent %s, height index %s", ErrCorrupt, p.ID, b.Parent, prev)
		}
	}
	above, err := l.firstKey(heightKey(p.ID.Height()+1), prefixEnd(prefixHeight))
	if err != nil {
		return p, err
	}
	if above != nil {
		return p, fmt.Errorf("%w: height index entry %x above the pointer %s", ErrCorrupt, above, p.ID)
	}
	return p, nil
}

// Verify walks the whole log and checks it: the height index runs from 1 to
// the pointer without gaps, each entry names a stored block whose id and
// parent link match, genesis is the given id, and every stored block at or
// below the irreversible height is on the irreversible chain (losing forks
// are deleted in the batch that makes them lose). It reads every block, so
// it is for tests, tools and an optional full check at open.
func (l *Log) Verify(genesis block.ID) error {
	p, err := l.checkHead(genesis)
	if err != nil {
		return err
	}
	iter, err := l.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixHeight}, UpperBound: prefixEnd(prefixHeight)})
	if err != nil {
		return fmt.Errorf("chain: verifying: %w", err)
	}
	want, prev := uint64(1), block.ZeroID
	for iter.First(); iter.Valid(); iter.Next() {
		if err := l.verifyEntry(iter.Key(), iter.Value(), want, prev); err != nil {
			_ = iter.Close()
			return err
		}
		copy(prev[:], iter.Value())
		want++
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("chain: verifying: %w", err)
	}
	if prev != p.ID {
		return fmt.Errorf("%w: height index ends at %s, pointer %s", ErrCorrupt, prev, p.ID)
	}
	return l.verifyNoStaleForks(p.ID.Height())
}

func (l *Log) verifyEntry(key, val []byte, want uint64, prev block.ID) error {
	if len(key) != 9 || binary.BigEndian.Uint64(key[1:]) != want {
		return fmt.Errorf("%w: height index key %x, want height %d", ErrCorrupt, key, want)
	}
	var id block.ID
	if len(val) != len(id) {
		return fmt.Errorf("%w: height index %d holds %d bytes", ErrCorrupt, want, len(val))
	}
	copy(id[:], val)
	b, err := l.Block(id)
	if err != nil {
		return fmt.Errorf("%w: height %d: %w", ErrCorrupt, want, err)
	}
	if b.Height != want || b.Parent != prev {
		return fmt.Errorf("%w: block %s at height %d has parent %s, want %s", ErrCorrupt, id, want, b.Parent, prev)
	}
	h, err := l.Header(id)
	if err != nil {
		return fmt.Errorf("%w: header record of block %s: %w", ErrCorrupt, id, err)
	}
	if h != b.SignedHeader {
		return fmt.Errorf("%w: header record of block %s differs from its body's", ErrCorrupt, id)
	}
	return nil
}

func (l *Log) verifyNoStaleForks(irreversible uint64) error {
	upper := blockKey(block.ID{})
	binary.BigEndian.PutUint64(upper[1:], irreversible+1)
	iter, err := l.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixBlock}, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("chain: verifying: %w", err)
	}
	for iter.First(); iter.Valid(); iter.Next() {
		var id block.ID
		copy(id[:], iter.Key()[1:])
		onChain, err := l.IDAt(id.Height())
		if err != nil || onChain != id {
			_ = iter.Close()
			return fmt.Errorf("%w: stored block %s at or below the irreversible height is off the irreversible chain", ErrCorrupt, id)
		}
	}
	return iter.Close()
}

// firstKey returns a copy of the first key in [lower, upper), or nil.
func (l *Log) firstKey(lower, upper []byte) ([]byte, error) {
	iter, err := l.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("chain: reading log: %w", err)
	}
	var k []byte
	if iter.First() {
		k = append([]byte(nil), iter.Key()...)
	}
	return k, iter.Close()
}
