package cft

import (
	"encoding/binary"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/blockwire/blockwire/chain/block"
)

// Op is a producer-set change operation.
type Op byte

// Producer-set operations.
const (
	// OpAdd makes the server a raft voter (a producer).
	OpAdd Op = 1
	// OpRemove removes the server from the raft configuration.
	OpRemove Op = 2
)

// maxIDLen bounds server ids and addresses (libp2p peer ids are ~52 bytes).
const maxIDLen = 256

// Change is one producer-set change as raft carries it out. ID and Addr are
// the raft server id and address, both the libp2p peer id string under the
// libp2p stream layer. The chain transaction that requests a change, and
// the authority it needs, are consensus/prodset's: the producer lists the
// changes of the block it built in Produced.Changes.
type Change struct {
	Op   Op
	ID   raft.ServerID
	Addr raft.ServerAddress
}

func (c Change) valid() bool {
	ok := c.Op == OpAdd || c.Op == OpRemove
	return ok && c.ID != "" && len(c.ID) <= maxIDLen && len(c.Addr) <= maxIDLen && (c.Op == OpRemove || c.Addr != "")
}

func appendChange(b []byte, c Change) []byte {
	b = append(b, byte(c.Op))
	b = appendBytes(b, []byte(c.ID))
	return appendBytes(b, []byte(c.Addr))
}

func (d *decoder) change() Change {
	c := Change{Op: Op(d.byte())}
	c.ID = raft.ServerID(d.bytes())
	c.Addr = raft.ServerAddress(d.bytes())
	if d.err == nil && !c.valid() {
		d.fail()
	}
	return c
}

// Raft log command, version 1 (the Data of every LogCommand entry):
//
//	1 byte   version (1)
//	1 byte   kind (1 = block)
//	32       block id
//	32       parent id (must be the last committed block, else ignored)
//	32       header hash
//	uvarint  change count, then per change: op, uvarint-length id, uvarint-length address
//
// Unknown versions or kinds are an error on every node alike, so a rolling
// upgrade must first ship a binary that understands a new kind and only then
// let leaders write it.
const (
	entryVersion   = 1
	entryKindBlock = 1
	// maxChanges bounds the changes in one entry (one block).
	maxChanges = 64
)

// blockEntry is what the leader appends to the raft log for each block.
type blockEntry struct {
	ID, Parent block.ID
	HeaderHash block.Hash
	Changes    []Change
	// Header, when set, is the block's signed header and the entry is
	// encoded as version 2 (entry_signed.go); ID, Parent and HeaderHash
	// are then derived from it.
	Header *block.SignedHeader
}

func (e *blockEntry) encode() []byte {
	if e.Header != nil {
		return e.encodeSigned()
	}
	b := make([]byte, 0, 2+3*32+1)
	b = append(b, entryVersion, entryKindBlock)
	b = append(b, e.ID[:]...)
	b = append(b, e.Parent[:]...)
	b = append(b, e.HeaderHash[:]...)
	b = binary.AppendUvarint(b, uint64(len(e.Changes)))
	for _, c := range e.Changes {
		b = appendChange(b, c)
	}
	return b
}

func decodeBlockEntry(b []byte) (blockEntry, error) {
	if len(b) > 0 && b[0] == entrySignedVersion {
		return decodeSignedEntry(b)
	}
	var e blockEntry
	d := decoder{b: b}
	if d.byte() != entryVersion || d.byte() != entryKindBlock {
		return e, fmt.Errorf("%w: entry version or kind", ErrCorrupt)
	}
	copy(e.ID[:], d.fixed(32))
	copy(e.Parent[:], d.fixed(32))
	copy(e.HeaderHash[:], d.fixed(32))
	n := d.uvarint()
	if n > maxChanges {
		d.fail()
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		e.Changes = append(e.Changes, d.change())
	}
	if d.err != nil || len(d.b) != 0 {
		return blockEntry{}, fmt.Errorf("%w: block entry", ErrCorrupt)
	}
	if e.ID.Height() != e.Parent.Height()+1 {
		return blockEntry{}, fmt.Errorf("%w: block entry height %d after parent %d", ErrCorrupt, e.ID.Height(), e.Parent.Height())
	}
	return e, nil
}
