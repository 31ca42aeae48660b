package cft

import (
	"bytes"
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

// Change is one producer-set change. ID and Addr are the raft server id and
// address, both the libp2p peer id string under the libp2p stream layer.
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

// ChangeTxPrefix starts every producer-set change transaction. The chain's
// application recognises such a transaction by this prefix; the producer
// lists the changes of the block it builds in Produced.Changes, and they take
// effect when that block's entry is applied from the raft log.
//
// Change transaction, version 2:
//
//	"blockwire/cft/change/v2"  (ChangeTxPrefix)
//	1 byte   op (1 add, 2 remove)
//	uvarint  length, server id
//	uvarint  length, server address (empty for remove)
//	uvarint  nonce
//
// The nonce tells apart two requests for the same change: nodes identify a
// transaction by its hash, and the same change can be valid more than once
// (remove a producer, add it back, remove it again) or be refused once and
// valid later. Version 1 had no nonce, so a second request was the same
// transaction as the first and was taken for a duplicate.
const ChangeTxPrefix = "blockwire/cft/change/v2"

// EncodeChangeTx returns the transaction bytes for c with nonce. Callers
// pick a nonce that differs between requests (node.ChangeProducersTx draws
// a random one).
func EncodeChangeTx(c Change, nonce uint64) ([]byte, error) {
	if !c.valid() {
		return nil, fmt.Errorf("cft: invalid change %+v", c)
	}
	return binary.AppendUvarint(appendChange([]byte(ChangeTxPrefix), c), nonce), nil
}

// DecodeChangeTx decodes a change transaction. ok is false when tx is not a
// change transaction at all (no prefix); err is set when it has the prefix
// but is malformed, which the application should reject. The nonce is
// checked but not returned: it does not change what the transaction does.
func DecodeChangeTx(tx []byte) (c Change, ok bool, err error) {
	c, _, ok, err = decodeChangeTx(tx)
	return c, ok, err
}

func decodeChangeTx(tx []byte) (c Change, nonce uint64, ok bool, err error) {
	rest, found := bytes.CutPrefix(tx, []byte(ChangeTxPrefix))
	if !found {
		return Change{}, 0, false, nil
	}
	d := decoder{b: rest}
	c = d.change()
	nonce = d.uvarint()
	if d.err != nil || len(d.b) != 0 {
		return Change{}, 0, true, fmt.Errorf("%w: change transaction", ErrCorrupt)
	}
	return c, nonce, true, nil
}

// ChangesIn returns the valid change transactions among txs, in order. A
// producer calls it on the block it built to fill Produced.Changes.
func ChangesIn(txs [][]byte) []Change {
	var out []Change
	for _, tx := range txs {
		if c, ok, err := DecodeChangeTx(tx); ok && err == nil {
			out = append(out, c)
		}
	}
	return out
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
