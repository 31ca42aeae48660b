package blocksync

import "github.com/blockwire/blockwire/chain/block"

// BodyCache keeps the encoding of the last block body a driver sent: a
// relay sends the same body to each of its tree children, and the link
// keeps the bytes it is given without copying or modifying them, so one
// encoding serves them all instead of one copy per child (a 1 MiB body to
// six children was six 1 MiB encodings). The zero value is ready; it is not
// safe for concurrent use (the driver's loop owns it). The returned bytes
// must not be modified: later calls for the same block return them again.
type BodyCache struct {
	id   block.ID
	data []byte
}

// Body returns Encode(m), reusing the last encoding when m carries the same
// block.
func (c *BodyCache) Body(m *Block) []byte {
	if id := m.Block.ID(); id != c.id || c.data == nil {
		c.id, c.data = id, Encode(m)
	}
	return c.data
}
