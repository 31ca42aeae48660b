package chain

import (
	"encoding/binary"

	"github.com/blockwire/blockwire/chain/block"
)

// Key prefixes: one byte per table. The chain owns these five bytes of the
// node's pebble key space; other packages sharing the database (raft stores,
// BFT votes, the attestation queue) must use other first bytes. The values
// are printable so that a key dump is readable.
const (
	// prefixBlock | id (32 bytes) -> encoded block (chain/block encoding).
	// Ids start with the big-endian height, so this table iterates in height
	// order. It holds the irreversible chain and the live forks above it.
	prefixBlock byte = 'b'
	// prefixHeader | id (32 bytes) -> encoded signed header
	// (block.SignedHeaderSize bytes): the header of every block in
	// prefixBlock, written and deleted in the same batches, so that a
	// header (which peers name in every hello) is read without the body
	// (up to Limits.MaxBlockBytes).
	prefixHeader byte = 'H'
	// prefixHeight | height (8 bytes big-endian) -> id (32 bytes): the
	// irreversible chain, heights 1 (genesis) to the irreversible height.
	prefixHeight byte = 'h'
	// prefixMeta | name -> record. See metaIrreversible.
	prefixMeta byte = 'm'
	// prefixState | application key -> value: the application state after
	// executing the irreversible block.
	prefixState byte = 's'
)

// metaIrreversible returns the key of the irreversible pointer record (a
// function, not a shared slice, so no caller can change it for another).
func metaIrreversible() []byte { return []byte{prefixMeta, 'i'} }

// metaHeaderIndex returns the key of the header index marker: present (one
// byte, headerIndexVersion) once every stored block has its prefixHeader
// record. A database written before the index existed lacks it, and Open
// builds the index once (Log.buildHeaderIndex).
func metaHeaderIndex() []byte { return []byte{prefixMeta, 'H'} }

// headerIndexVersion is the value of the metaHeaderIndex marker.
const headerIndexVersion = 1

func blockKey(id block.ID) []byte {
	k := make([]byte, 1+len(id))
	k[0] = prefixBlock
	copy(k[1:], id[:])
	return k
}

func headerKey(id block.ID) []byte {
	k := make([]byte, 1+len(id))
	k[0] = prefixHeader
	copy(k[1:], id[:])
	return k
}

func heightKey(h uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixHeight
	binary.BigEndian.PutUint64(k[1:], h)
	return k
}

func stateKey(key []byte) []byte {
	k := make([]byte, 1+len(key))
	k[0] = prefixState
	copy(k[1:], key)
	return k
}

// prefixEnd returns the exclusive upper bound of a one-byte table.
func prefixEnd(p byte) []byte { return []byte{p + 1} }
