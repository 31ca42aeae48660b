package chain

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
)

// pointerVersion is the first byte of the irreversible pointer record.
const pointerVersion = 1

// pointerSize is the length of an encoded pointer record.
const pointerSize = 1 + 32 + 32

// Pointer is the irreversible pointer: the last irreversible block and the
// application state root after executing it. The chain writes it in the same
// synced batch as the height index and the state it describes.
//
// Encoding (version 1, 65 bytes): version byte 1 | block id (32) | state
// root (32).
type Pointer struct {
	ID        block.ID
	StateRoot block.Hash
}

func (p Pointer) encode() []byte {
	b := make([]byte, 0, pointerSize)
	b = append(b, pointerVersion)
	b = append(b, p.ID[:]...)
	return append(b, p.StateRoot[:]...)
}

// decodePointer parses a pointer record strictly: exact length, known version.
func decodePointer(data []byte) (Pointer, error) {
	var p Pointer
	if len(data) != pointerSize {
		return p, fmt.Errorf("%w: irreversible pointer of %d bytes, want %d", ErrCorrupt, len(data), pointerSize)
	}
	if data[0] != pointerVersion {
		return p, fmt.Errorf("%w: irreversible pointer version %d", ErrCorrupt, data[0])
	}
	copy(p.ID[:], data[1:33])
	copy(p.StateRoot[:], data[33:])
	if p.ID.Height() == 0 {
		return p, fmt.Errorf("%w: irreversible pointer at height 0", ErrCorrupt)
	}
	return p, nil
}
