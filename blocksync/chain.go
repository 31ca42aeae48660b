package blocksync

import "github.com/blockwire/blockwire/chain/block"

// Chain is the read-only view of the local node's block tree and block store
// that a Conn consumes. A forkdb.Tree plus the block log satisfy it through a
// small adapter in the driver (the simulator and node/ each have one).
//
// Concurrency: a Conn calls Chain only from inside its own methods (New, Step,
// Receive, ChainChanged, Tick, SendAfter). The driver must not mutate the
// chain while one of those calls runs, and must call ChainChanged on every
// Conn after each mutation (insert, fork switch, new irreversible block).
//
// Aliasing: returned blocks are shared and immutable (see block.Block); a Conn
// never modifies them.
//
// Cost: a Conn calls BestAt and Header for every body it sends or receives
// and a few times per input, and Ancestor O(log n) times when it must place
// a peer's block on a side fork. Keep BestAt O(1) (an index of the best chain
// by height, refreshed from forkdb's Diff on head changes): forkdb's own
// BestAt walks from the head, which makes streaming a long unfinalized chain
// quadratic.
type Chain interface {
	// Head is the best head: max (Term, Height, ID) among viable blocks.
	Head() block.ID
	// Irreversible is the last irreversible block. Its height never
	// decreases.
	Irreversible() block.ID
	// BestAt returns the block at height on the best chain, from the oldest
	// retained block (the block log may be truncated) up to the head. Heights
	// below the irreversible block are answered from the block log.
	BestAt(height uint64) (block.ID, bool)
	// Ancestor returns the block at height on the branch that ends at id, for
	// a known id and a height between the irreversible block's height and
	// id's height inclusive (forkdb.Tree.Ancestor).
	Ancestor(id block.ID, height uint64) (block.ID, bool)
	// Header returns the signed header of a known block: any block in the
	// fork tree, and best-chain blocks below the irreversible one while the
	// log retains them.
	Header(id block.ID) (block.SignedHeader, bool)
	// Block returns a known block with its body, for sending.
	Block(id block.ID) (*block.Block, bool)
}
