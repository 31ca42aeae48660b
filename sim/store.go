package sim

import (
	"github.com/blockwire/blockwire/chain/block"
)

// store is a node's in-memory block log: every block it accepted by id, and
// the irreversible chain by height. It stands in for the pebble block log
// (pebble runs goroutines, which would break determinism). On a crash only
// the irreversible chain survives, as if it alone had been synced to disk.
type store struct {
	blocks map[block.ID]*block.Block
	// final[h] is the irreversible block at height h; final[0] is unused.
	// Invariant: final[h+1].Parent == final[h].
	final []block.ID
}

func newStore(genesis *block.Block) *store {
	s := &store{blocks: map[block.ID]*block.Block{}, final: []block.ID{block.ZeroID}}
	id := genesis.ID()
	s.blocks[id] = genesis
	s.final = append(s.final, id)
	return s
}

func (s *store) get(id block.ID) (*block.Block, bool) {
	b, ok := s.blocks[id]
	return b, ok
}

// finalAt returns the irreversible block at height h, if the node has one.
func (s *store) finalAt(h uint64) (block.ID, bool) {
	if h == 0 || h >= uint64(len(s.final)) {
		return block.ZeroID, false
	}
	return s.final[h], true
}

// finalize extends the irreversible chain up to id by walking parents back
// to the current irreversible top; it returns the ids it appended, lowest
// first.
func (s *store) finalize(id block.ID) []block.ID {
	top := uint64(len(s.final) - 1)
	if id.Height() <= top {
		return nil
	}
	path := make([]block.ID, id.Height()-top)
	for cur := id; cur.Height() > top; {
		path[cur.Height()-top-1] = cur
		cur = s.blocks[cur].Parent
	}
	s.final = append(s.final, path...)
	return path
}

// crash returns the store a restarted node finds on disk: the irreversible
// chain and nothing else.
func (s *store) crash() *store {
	out := &store{blocks: make(map[block.ID]*block.Block, len(s.final)), final: s.final}
	for _, id := range s.final[1:] {
		out.blocks[id] = s.blocks[id]
	}
	return out
}
