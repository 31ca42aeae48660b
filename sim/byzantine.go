package sim

import (
	"encoding/binary"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
)

// byzantine is the filter every outgoing message of a node passes: a
// correct node sends the message as is; a byzantine node corrupts, swaps,
// drops or adds to its block bodies. Control messages pass unchanged, so a
// byzantine node still looks alive.
func (n *node) byzantine(peer int, m blocksync.Msg) []any {
	bm, isBlock := m.(*blocksync.Block)
	if n.correct() || !isBlock {
		return []any{m}
	}
	n.sends++
	b := bm.Block
	switch n.byz {
	case ByzWithhold:
		return nil
	case ByzBadSig:
		return []any{blocksync.NewBlock(n.forge(b))}
	case ByzGarbage:
		if n.sends%2 == 0 {
			return []any{n.garbage(b.EncodedSize())}
		}
	case ByzUnknownParent:
		return []any{m, blocksync.NewBlock(n.orphan(b))}
	case ByzEquivocate:
		if twin := n.twins[b.ID()]; twin != nil && peer%2 == 1 {
			return []any{blocksync.NewBlock(twin)}
		}
	}
	return []any{m}
}

// forge returns a sibling of b that claims b's producer but whose
// signature does not verify: b's header with another timestamp (so another
// id, which the receiver cannot dismiss as a duplicate) and b's signature.
// Each block is forged once.
func (n *node) forge(b *block.Block) *block.Block {
	id := b.ID()
	if f := n.forged[id]; f != nil {
		return f
	}
	f := *b
	f.Timestamp++
	n.forged[id] = &f
	return &f
}

// garbage returns size random bytes that look like a Block frame: version 1
// and type 3, so the receiver gets as far as decoding the block.
func (n *node) garbage(size int) []byte {
	size = max(size, 16)
	out := make([]byte, size)
	for i := 0; i+8 <= size; i += 8 {
		binary.LittleEndian.PutUint64(out[i:], n.r.e.rng.Uint64())
	}
	out[0], out[1] = blocksync.Version, byte(blocksync.TypeBlock)
	return out
}

// orphan makes a validly signed block, by this node, whose parent nobody
// has: every other one at b's height (a parent the receiver could believe
// is in flight), the others far above it (a parent the sender cannot
// believe the receiver has).
func (n *node) orphan(b *block.Block) *block.Block {
	height := b.Height
	if n.sends%2 == 1 {
		height += 1000
	}
	var parent block.ID
	binary.BigEndian.PutUint64(parent[:8], height-1)
	binary.LittleEndian.PutUint64(parent[8:], n.r.e.rng.Uint64())
	h := block.Header{Height: height, Parent: parent, Term: b.Term, Timestamp: int64(n.r.e.now)}
	return n.r.fac.seal(h, n.id, nil, n.r.e.rng.Uint64())
}
