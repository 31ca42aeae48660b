// Package chain is seed 003's chain layer: the block log on pebble, the fork
// database (forkdb.Tree) and the application state, kept consistent with one
// another, plus the App interface and the embedded key-value App (KV).
//
// It is a pure data structure: no goroutines, no clock, no network. Its owner
// feeds it blocks from peers (Add), its own production (StartBlock, ApplyTx,
// Finish) and consensus decisions (SetIrreversible, Pin, MarkInvalid), and
// acts on the returned Results (send the new head, switch forks).
//
// # Usage
//
//	db, _ := chain.OpenDB(dir, chain.DefaultDBConfig())   // or your own *pebble.DB
//	c, _ := chain.Open(db, chain.NewKV(chain.DefaultKVLimits()), genesis, chain.DefaultConfig())
//	res, err := c.Add(blk)            // from a peer; chain.ReasonOf(err) on refusal
//	b, _ := c.StartBlock(chain.ProduceParams{Term: term, Timestamp: now})
//	for _, tx := range pending { _ = b.ApplyTx(tx) } // rejected ones are skipped
//	blk, res, _ := b.Finish(key)
//	_ = c.Sync()                      // before announcing blk
//	res, _ = c.SetIrreversible(id)    // when consensus finalizes id
//
// # The caller's duties
//
//  1. Own the Chain from one goroutine; nothing in it is safe for concurrent
//     use except Log's reads.
//  2. Decode peer bytes with block.Decode and the same block.Limits given in
//     Config, then call Add. Act on the reason of a refusal: ReasonDuplicate
//     is harmless, ReasonUnknownParent means fetch the parent first, every
//     other reason is the sender's fault (score the peer).
//  3. Check who produced a block before or after Add as consensus requires:
//     the chain checks a block's signature, not whether its producer is in
//     the producer set.
//  4. Call Sync before telling a peer or consensus that a block is stored
//     (votes, acks, raft entries naming it): Add and Finish store blocks
//     unsynced so that one fsync covers many blocks.
//  5. Call SetIrreversible with the block consensus finalized; it is synced
//     when it returns. If it fails, the Chain is unusable (ErrBroken):
//     close the database and reopen.
//  6. On each Result whose head changed, undo Removed (newest first) and
//     apply Added (oldest first) in whatever follows the best chain.
//  7. Close the pebble database after the Chain is no longer used; the
//     Chain holds no other resources.
//
// # State
//
// Blocks are executed when added, on any fork above the irreversible block.
// Each block's writes live in an in-memory overlay chained to its parent's;
// a read walks the overlays down to the first durable one and then reads
// pebble, which holds the state after the irreversible block. The header's
// StateRoot must equal the state root after executing the parent.
// SetIrreversible writes the overlays of the newly irreversible blocks into
// pebble in the batch that advances the pointer, so the durable state and
// the pointer always agree. Apps never see forks: they read and write the
// State they are given.
//
// # Key layout
//
// One pebble database per node; the chain owns five first bytes:
//
//	'b' | id (32)                 -> block (chain/block encoding)
//	'H' | id (32)                 -> signed header of that block (block.SignedHeaderSize)
//	'h' | height (8, big-endian)  -> id (32): the irreversible chain
//	'm' 'i'                       -> irreversible pointer: 0x01 | id (32) | state root (32)
//	'm' 'H'                       -> 0x01 once every 'b' block has its 'H' record
//	's' | application key         -> value: state after the irreversible block
//
// Ids begin with the big-endian height, so 'b' iterates in height order and
// parents come before children when the live forks are reloaded at open.
// Other packages sharing the database use other first bytes.
//
// 'H' exists so that a header is read without its body: peers name blocks
// in every hello, and a lookup must not cost a read of up to
// Limits.MaxBlockBytes. Every batch that writes or deletes a 'b' record
// does the same to its 'H' record. Open builds the 'H' table once for a
// database written before it existed (no 'm' 'H' marker).
//
// # Crash safety
//
// Writes that anyone relies on are synced: the genesis batch, every
// SetIrreversible batch, and Sync. A pebble batch is atomic and a synced
// one is durable when Commit returns; an unsynced write may be lost on a
// process crash, but pebble's WAL is replayed in order, so a crash loses a
// suffix of the unsynced writes, never a write that precedes a synced one.
// Hence after any crash:
//
//   - the height index, the pointer and the durable state were written by
//     the same batches, so they describe the same irreversible block;
//     losing forks are deleted in the batch that makes them lose;
//   - every block that was stored before the last synced write is there,
//     and because a child is stored after its parent, every stored block
//     above the irreversible height has its ancestors stored too.
//
// Open checks the first property cheaply (pointer, the height entries at
// and above it, the block it names and its parent link, genesis) or fully
// with Config.VerifyOnOpen (Log.Verify), rebuilds the fork database from
// the irreversible block and re-executes the stored blocks above it,
// dropping any that do not fit. Pebble's own fatal errors (a failed WAL
// write or sync) stop the process through the logger's Fatalf: continuing
// would acknowledge writes that are not durable.
//
// A test kills a writer process with SIGKILL at random points and checks
// both properties on the real disk; another uses pebble's crashable
// in-memory filesystem to drop random unsynced data.
package chain
