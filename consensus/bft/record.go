package bft

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/blockwire/blockwire/chain/block"
)

// RecordKind says what a safety record remembers.
type RecordKind uint8

// Record kinds.
const (
	// RecNotarized: I signed a notarize vote for Block in View (as leader:
	// I proposed Block). I never sign one for another block in View.
	RecNotarized RecordKind = 1
	// RecNullified: I signed a nullify vote in View, reporting Block (what
	// I notarized in View; zero for none). I never finalize or notarize
	// View, and every retransmission reports the same Block.
	RecNullified RecordKind = 2
	// RecFinalized: I signed a finalize vote for Block in View. I never
	// nullify View.
	RecFinalized RecordKind = 3
	// RecRoot: Block, of View, is final; Cert is its finalization
	// certificate, or its fast finalization (a notarization signed by the
	// whole set); a restarted producer hands it to peers that missed it.
	// I never sign anything for a view at or below View, so the records of
	// lower views may be pruned once this one is durable.
	RecRoot RecordKind = 4
)

// Record is one safety record: the durable memory of a signature (or of a
// finalization) that constrains every future signature. The engine emits
// records in Ready.Persist; the driver makes them durable before it sends
// Ready.Messages, and hands them all back to New after a restart.
type Record struct {
	Kind  RecordKind
	View  uint64
	Block block.ID // for RecNullified the report (zero: none)
	// Cert is the (fast) finalization certificate of a RecRoot (nil
	// otherwise).
	Cert *Certificate
}

func (r Record) String() string { return fmt.Sprintf("rec(%d v%d %s)", r.Kind, r.View, r.Block) }

// recordFixed is the length of a record without its certificate.
const recordFixed = 1 + 1 + 8 + 32 + 4

// AppendBinary appends the record's encoding: version, kind, view
// (big-endian), block, the certificate's encoding (RecRoot only; see
// Certificate.AppendBinary), and a CRC-32C over the preceding bytes so a
// torn write is detected (and, since its outputs were never released,
// dropped). The record's length is the store's framing.
func (r Record) AppendBinary(b []byte) []byte {
	start := len(b)
	b = append(b, Version, byte(r.Kind))
	b = binary.BigEndian.AppendUint64(b, r.View)
	b = append(b, r.Block[:]...)
	if r.Kind == RecRoot && r.Cert != nil {
		b = r.Cert.AppendBinary(b)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// DecodeRecord decodes one record exactly.
func DecodeRecord(b []byte) (Record, error) {
	if len(b) < recordFixed {
		return Record{}, refuse(ReasonMalformed, "record of %d bytes, want at least %d", len(b), recordFixed)
	}
	if crc32.Checksum(b[:len(b)-4], castagnoli) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return Record{}, refuse(ReasonMalformed, "record checksum")
	}
	// Version 1 records read the same (a version 1 nullify record holds
	// no report; replay adopts the notarized block, the only truthful
	// one), so a store survives the upgrade to the fast path.
	if b[0] != Version && b[0] != 1 {
		return Record{}, refuse(ReasonVersion, "record version %d", b[0])
	}
	r := Record{Kind: RecordKind(b[1]), View: binary.BigEndian.Uint64(b[2:10])}
	copy(r.Block[:], b[10:42])
	if rest := b[42 : len(b)-4]; len(rest) > 0 {
		if r.Kind != RecRoot {
			return Record{}, refuse(ReasonMalformed, "%s with %d trailing bytes", r, len(rest))
		}
		c, err := DecodeCertificate(rest)
		if err != nil {
			return Record{}, err
		}
		// A finalization or a fast one (New checks which against the set).
		if !c.ForBlock(Finalize, r.View, r.Block) && !c.ForBlock(Notarize, r.View, r.Block) {
			return Record{}, refuse(ReasonMalformed, "%s holds %s", r, c)
		}
		r.Cert = c
	}
	if r.Kind < RecNotarized || r.Kind > RecRoot || r.View == 0 && r.Kind != RecRoot ||
		(r.Kind != RecNullified && r.Block.IsZero()) {
		return Record{}, refuse(ReasonMalformed, "%s", r)
	}
	return r, nil
}

// Store is where a driver keeps safety records. The engine never calls it
// (it is pure); the driver does, in the order Ready's doc gives.
//
// Append must not return before the records are durable (fsynced): the
// votes they cover are sent right after. Load returns every record appended
// and not pruned, in any order; New folds them. PruneBelow deletes the
// records of views below view; the driver calls it only with a
// Ready.PruneBelow, after that Ready's Persist (which holds the RecRoot
// that allows it) is durable. A Store is used from one goroutine.
type Store interface {
	Append(recs []Record) error
	Load() ([]Record, error)
	PruneBelow(view uint64) error
}
