package cft

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// Raft log command, version 2: a block entry that carries the block's
// signed header, so every member can check who signed the block from the
// log alone (fsmState.authorize).
//
//	1 byte   version (2)
//	1 byte   kind (1 = block)
//	281      signed header (chain/block SignedHeader encoding: format
//	         version byte, 216-byte canonical header, 64-byte ed25519
//	         signature; docs/protocol.md §3)
//	uvarint  change count, then the changes as in version 1
//
// The block id is the header's id, the parent its Parent, and the header
// hash the SHA-256 of the signed header encoding (what node.Node records).
const entrySignedVersion = 2

func (e *blockEntry) encodeSigned() []byte {
	b := make([]byte, 0, 2+block.SignedHeaderSize+1)
	b = append(b, entrySignedVersion, entryKindBlock)
	b = e.Header.AppendEncoding(b)
	b = binary.AppendUvarint(b, uint64(len(e.Changes)))
	for _, c := range e.Changes {
		b = appendChange(b, c)
	}
	return b
}

func decodeSignedEntry(b []byte) (blockEntry, error) {
	var e blockEntry
	d := decoder{b: b}
	if d.byte() != entrySignedVersion || d.byte() != entryKindBlock {
		return e, fmt.Errorf("%w: entry version or kind", ErrCorrupt)
	}
	raw := d.fixed(block.SignedHeaderSize)
	n := d.uvarint()
	if n > maxChanges {
		d.fail()
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		e.Changes = append(e.Changes, d.change())
	}
	if d.err != nil || len(d.b) != 0 {
		return blockEntry{}, fmt.Errorf("%w: signed block entry", ErrCorrupt)
	}
	sh, err := block.DecodeSignedHeader(raw)
	if err != nil {
		return blockEntry{}, fmt.Errorf("%w: signed block entry: %w", ErrCorrupt, err)
	}
	e.Header = &sh
	e.ID, e.Parent, e.HeaderHash = sh.ID(), sh.Parent, sha256.Sum256(raw)
	if e.ID.Height() != e.Parent.Height()+1 {
		return blockEntry{}, fmt.Errorf("%w: block entry height %d after parent %d", ErrCorrupt, e.ID.Height(), e.Parent.Height())
	}
	return e, nil
}
