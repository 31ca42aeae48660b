// Package rbcstore keeps reliable broadcast's records (rbc.Record) in the
// node's pebble database: the durable half of transport/rbc's
// persist-before-send rule.
//
// Keys live under the prefix 0xF3 "rbc/" (docs/protocol.md §9), then the
// scope: the first 8 bytes of the participant set's hash. An instance
// (origin, seq) is a different broadcast under a different set (origin is
// an index into the set, signatures cover the set's hash), so each set
// keeps its own records, and a set that comes back after a change finds
// its records (and floors) where it left them:
//
//	0xF3 "rbc/" scope[8] 'i' origin u16 seq u64 kind u8   an instance's record (echo, ready, delivered)
//	0xF3 "rbc/" scope[8] 'f' origin u16                   an origin's garbage-collection floor
//
// Integers are big-endian, so an instance's records are contiguous and
// Forget is one range deletion per instance; a floor has one key per
// origin and is only ever raised. The value is the record's own encoding
// (rbc.Record.AppendBinary, with its CRC). Writing a record twice writes
// the same key: harmless (a participant signs one digest per instance and
// kind).
//
// Append commits one batch with pebble.Sync and returns only once it is
// durable: the echoes and readies it covers are sent right after. Forget
// is synced too (a lost forget is harmless: the floor that allowed it is
// already durable, and Load drops records at or below a floor). Load reads
// every record back and refuses the store if one does not decode: pebble's
// WAL already drops a torn tail, so a bad record means corruption, and a
// participant must not sign on a store it cannot read.
package rbcstore
