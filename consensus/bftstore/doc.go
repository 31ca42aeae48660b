// Package bftstore keeps the BFT engine's safety records (bft.Record) in
// the node's pebble database: the durable half of consensus/bft's
// persist-before-send rule.
//
// Keys live under the prefix 0xF2 "bft/" (docs/protocol.md §9): the
// prefix, the record's view (8 bytes, big-endian, so records sort by view
// and PruneBelow is one range deletion), its kind (1 byte) and block (32
// bytes). The value is the record's own encoding (bft.Record.AppendBinary,
// with its CRC). Appending a record twice writes the same key: harmless.
//
// Append commits one batch with pebble.Sync and returns only once it is
// durable; PruneBelow deletes a range, also synced (a prune that is lost is
// redone by the next one; it never removes a record the engine still
// needs, because the driver calls it only after the RecRoot that allows it
// is durable). Load reads every record back and refuses the store if one
// does not decode: pebble's own WAL already drops a torn tail, so a bad
// record means corruption, and a producer must not sign on a store it
// cannot read.
package bftstore
