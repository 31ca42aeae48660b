// Package block defines blockwire's block and header types, their ids, their
// canonical encoding and their ed25519 signatures.
//
// It is the one small base package that every other layer shares: forkdb keeps
// a tree of Headers, blocksync streams encoded Blocks, consensus signs and
// checks them, and chain stores them. It imports only the standard library.
//
// # Ids
//
// An ID is 32 bytes: the block's height as 8 big-endian bytes followed by the
// first 24 bytes of SHA-256 over the domain tag "blockwire/id/v1" and the
// header's canonical bytes. Embedding the height lets any holder of an id know
// where in the chain it sits (psibase does the same) without a lookup, and
// makes ids sort by height.
//
// # Canonical header bytes (version 1)
//
// Signed and hashed bytes are built field by field, never from a general
// serializer. Integers are big-endian and fixed width:
//
//	offset size field
//	0      8    Height
//	8      32   Parent (ID)
//	40     8    Term (CFT raft term or BFT view)
//	48     32   Producer (ed25519 public key)
//	80     8    Timestamp (unix nanoseconds, the producer's clock)
//	88     32   TxRoot (Merkle root over the transactions, see TxRoot)
//	120    32   StateRoot (application state after executing the parent)
//	152    32   Irreversible (the producer's view of the last irreversible block)
//	184    32   ProducerSet (hash of the producer set in force)
//	216         end (HeaderSize)
//
// The id hashes "blockwire/id/v1" || header bytes; the producer signs
// "blockwire/header-sig/v1" || header bytes. Distinct domain tags keep a
// signature over a header from ever being valid for any other message.
//
// # Block encoding (version 1)
//
//	1 byte   format version (1)
//	216      header bytes
//	64       ed25519 signature
//	uvarint  transaction count, then per transaction: uvarint length, bytes
//	uvarint  certificate length, then the certificate bytes (BFT; may be empty)
//
// Decode checks every count and length against Limits before allocating and
// rejects trailing bytes, so a peer cannot make a node allocate more than the
// encoded size it already holds. Decoding is strict: there is exactly one
// encoding of a block, so a block's bytes can be hashed or compared directly.
package block
