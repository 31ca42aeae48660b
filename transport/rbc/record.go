package rbc

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// RecordKind says what a record remembers.
type RecordKind uint8

// Record kinds.
const (
	// RecEcho: I signed an echo for Digest in Inst (as origin: I sent
	// Payload). I never sign an echo for another digest there. Payload is
	// kept so a restarted participant can retransmit the same echo.
	RecEcho RecordKind = 1
	// RecReady: I signed a ready for Digest in Inst; never for another.
	RecReady RecordKind = 2
	// RecDelivered: I delivered Payload in Inst; Cert proves it. It
	// survives restarts so a delivery happens once and can be shown.
	RecDelivered RecordKind = 3
	// RecFloor: instances of origin Inst.Origin with seq ≤ Inst.Seq were
	// garbage-collected (their records forgotten); their messages are
	// refused as stale, so a forgotten instance is never signed again.
	RecFloor RecordKind = 4
)

func (k RecordKind) String() string {
	switch k {
	case RecEcho:
		return "echo"
	case RecReady:
		return "ready"
	case RecDelivered:
		return "delivered"
	case RecFloor:
		return "floor"
	}
	return fmt.Sprintf("rec(%d)", uint8(k))
}

// Record is one durable fact. The core emits records in Ready.Persist; the
// driver makes them durable before it sends Ready.Messages, and hands them
// all back to New after a restart.
type Record struct {
	Kind    RecordKind
	Inst    Instance
	Digest  Digest
	Payload []byte       // RecEcho, RecDelivered
	Cert    *Certificate // RecDelivered
}

func (r Record) String() string { return fmt.Sprintf("%s(%s d=%s)", r.Kind, r.Inst, r.Digest) }

// recordFixed: version, kind, origin, seq, digest, payload length, CRC.
const recordFixed = 1 + 1 + 2 + 8 + 32 + 4 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AppendBinary appends the record's encoding: version, kind, origin u16,
// seq u64, digest[32], payload length u32, payload, the certificate's
// standalone encoding (RecDelivered only), and a CRC-32C of the preceding
// bytes so a torn or corrupted value is detected.
func (r Record) AppendBinary(b []byte) []byte {
	start := len(b)
	b = append(b, Version, byte(r.Kind))
	b = binary.BigEndian.AppendUint16(b, r.Inst.Origin)
	b = binary.BigEndian.AppendUint64(b, r.Inst.Seq)
	b = append(b, r.Digest[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Payload)))
	b = append(b, r.Payload...)
	if r.Kind == RecDelivered && r.Cert != nil {
		b = r.Cert.AppendBinary(b)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// DecodeRecord decodes one record exactly and checks its consistency (a
// payload matches its digest, a certificate names the record's instance
// and digest). Payload aliases b.
func DecodeRecord(b []byte) (Record, error) {
	if len(b) < recordFixed {
		return Record{}, refuse(ReasonMalformed, "record of %d bytes, want at least %d", len(b), recordFixed)
	}
	if crc32.Checksum(b[:len(b)-4], castagnoli) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return Record{}, refuse(ReasonMalformed, "record checksum")
	}
	if b[0] != Version {
		return Record{}, refuse(ReasonVersion, "record version %d", b[0])
	}
	r := Record{Kind: RecordKind(b[1]), Inst: Instance{Origin: binary.BigEndian.Uint16(b[2:]), Seq: binary.BigEndian.Uint64(b[4:])}}
	copy(r.Digest[:], b[12:44])
	p, rest, err := decodePayload(b[44:len(b)-4], len(b))
	if err != nil {
		return Record{}, err
	}
	if len(p) > 0 {
		r.Payload = p
	}
	if r.Kind == RecDelivered {
		if r.Cert, err = DecodeCertificate(rest); err != nil {
			return Record{}, err
		}
		rest = nil
	}
	if err := r.check(rest); err != nil {
		return Record{}, err
	}
	return r, nil
}

func (r Record) check(rest []byte) error {
	switch {
	case len(rest) != 0:
		return refuse(ReasonMalformed, "%s with %d trailing bytes", r, len(rest))
	case r.Kind < RecEcho || r.Kind > RecFloor, r.Inst.Seq == 0:
		return refuse(ReasonMalformed, "%s", r)
	case (r.Kind == RecEcho || r.Kind == RecDelivered) && DigestOf(r.Payload) != r.Digest:
		return refuse(ReasonMalformed, "%s: payload does not match its digest", r)
	case (r.Kind == RecReady || r.Kind == RecFloor) && len(r.Payload) != 0:
		return refuse(ReasonMalformed, "%s with a payload", r)
	case r.Kind == RecFloor && r.Digest != Digest{}:
		return refuse(ReasonMalformed, "%s with a digest", r)
	case r.Kind == RecDelivered && (r.Cert.Inst != r.Inst || r.Cert.Digest != r.Digest):
		return refuse(ReasonMalformed, "%s holds %s", r, r.Cert)
	}
	return nil
}

// Store is where a driver keeps records. The core never calls it (it is
// pure); the driver does, in the order Ready's doc gives.
//
// Append must not return before the records are durable (fsynced): the
// signatures they cover are sent right after. Load returns every record
// appended and not forgotten, in any order; New folds them (ignoring an
// instance's records at or below its origin's floor: a Forget lost in a
// crash). Forget deletes
// every record of the given instances (RecFloor records are separate and
// stay). A Store is used from one goroutine.
type Store interface {
	Append(recs []Record) error
	Load() ([]Record, error)
	Forget(insts []Instance) error
}
