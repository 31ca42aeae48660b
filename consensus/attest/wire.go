package attest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Version is the wire and record version of this package's encodings.
const Version = 1

// Message types.
const (
	typeRequest = 1
	typeReceipt = 2
	typeAck     = 3
)

// Encoded sizes.
const (
	requestHeaderSize = 2 + 32 + 1 + 8 + 1
	receiptSize       = 2 + verificationSize
	ackSize           = 2 + 32 + 1 + 32 + 1
	// MaxMessageSize is the largest message: a request with MaxRequired
	// lower verifications.
	MaxMessageSize = requestHeaderSize + MaxRequired*verificationSize
)

// Request asks a verifier to verify Block at Level before Deadline. Lower
// holds the verifications of the level below (none for the first level),
// in ascending verifier order: what a higher-level verifier checks and
// whose digest it signs.
type Request struct {
	Block    block.ID
	Level    uint8
	Deadline time.Time // millisecond precision on the wire
	Lower    []Verification
}

// Receipt carries a verifier's verification back to the requester.
type Receipt struct {
	Verification Verification
}

// Ack answers a receipt: Verdict is VerdictAccepted (counted now or before)
// or the reason it was refused. Either way the verifier stops re-sending.
type Ack struct {
	Block    block.ID
	Level    uint8
	Verifier block.PublicKey
	Verdict  Verdict
}

// Verdict is an Ack's verdict on the wire.
type Verdict uint8

// Statuses. Zero is accepted; every other value is a refusal reason.
const (
	VerdictAccepted Verdict = iota
	VerdictDuplicate
	VerdictExcess
	VerdictUnasked
	VerdictWrongLevel
	VerdictUnknownBlock
	VerdictBadSignature
	VerdictWrongLower
	VerdictSignerMismatch
	verdictEnd
)

var verdictReasons = [...]Reason{
	VerdictAccepted:       "",
	VerdictDuplicate:      ReasonDuplicate,
	VerdictExcess:         ReasonExcess,
	VerdictUnasked:        ReasonUnasked,
	VerdictWrongLevel:     ReasonWrongLevel,
	VerdictUnknownBlock:   ReasonUnknownBlock,
	VerdictBadSignature:   ReasonBadSignature,
	VerdictWrongLower:     ReasonWrongLower,
	VerdictSignerMismatch: ReasonSignerMismatch,
}

// Reason is the refusal reason of s ("" for accepted).
func (s Verdict) Reason() Reason {
	if s >= verdictEnd {
		return ReasonMalformed
	}
	return verdictReasons[s]
}

// Accepted reports whether the requester holds the verification.
func (s Verdict) Accepted() bool { return s == VerdictAccepted || s == VerdictDuplicate }

func verdictOf(r Reason) Verdict {
	for s, x := range verdictReasons {
		if x == r && s != int(VerdictAccepted) {
			return Verdict(s)
		}
	}
	return VerdictAccepted
}

// Message is one attestation message: exactly one field is set.
type Message struct {
	Request *Request
	Receipt *Receipt
	Ack     *Ack
}

func (m Message) String() string {
	switch {
	case m.Request != nil:
		return fmt.Sprintf("request L%d %s (deadline %d ms, %d lower)", m.Request.Level, m.Request.Block, m.Request.Deadline.UnixMilli(), len(m.Request.Lower))
	case m.Receipt != nil:
		return "receipt " + m.Receipt.Verification.String()
	case m.Ack != nil:
		return fmt.Sprintf("ack L%d %s status %d", m.Ack.Level, m.Ack.Block, m.Ack.Verdict)
	}
	return "empty message"
}

// AppendBinary appends m's wire form.
func (m Message) AppendBinary(b []byte) []byte {
	switch {
	case m.Request != nil:
		r := m.Request
		b = append(b, Version, typeRequest)
		b = append(b, r.Block[:]...)
		b = append(b, r.Level)
		b = binary.BigEndian.AppendUint64(b, uint64(r.Deadline.UnixMilli()))
		b = append(b, byte(len(r.Lower)))
		for i := range r.Lower {
			b = r.Lower[i].AppendBinary(b)
		}
	case m.Receipt != nil:
		b = append(b, Version, typeReceipt)
		b = m.Receipt.Verification.AppendBinary(b)
	case m.Ack != nil:
		a := m.Ack
		b = append(b, Version, typeAck)
		b = append(b, a.Block[:]...)
		b = append(b, a.Level)
		b = append(b, a.Verifier[:]...)
		b = append(b, byte(a.Verdict))
	}
	return b
}

// DecodeMessage decodes one message of at most maxBytes (at most
// MaxMessageSize is ever needed). Decoding is strict: exactly one encoding
// per message, no trailing bytes, lower verifications for the request's
// block in strictly ascending verifier order. It checks shape only; the
// scheduler and verifier check signatures and roles.
func DecodeMessage(b []byte, maxBytes int) (Message, error) {
	if len(b) > maxBytes {
		return Message{}, refuse(ReasonOversized, "%d bytes, limit %d", len(b), maxBytes)
	}
	if len(b) < 2 {
		return Message{}, refuse(ReasonMalformed, "%d bytes", len(b))
	}
	if b[0] != Version {
		return Message{}, refuse(ReasonVersion, "version %d", b[0])
	}
	switch b[1] {
	case typeRequest:
		r, err := decodeRequest(b)
		return Message{Request: r}, err
	case typeReceipt:
		if len(b) != receiptSize {
			return Message{}, refuse(ReasonMalformed, "receipt of %d bytes, want %d", len(b), receiptSize)
		}
		v := decodeVerification(b[2:])
		if v.Level == 0 {
			return Message{}, refuse(ReasonMalformed, "receipt for level 0")
		}
		return Message{Receipt: &Receipt{Verification: v}}, nil
	case typeAck:
		return decodeAck(b)
	}
	return Message{}, refuse(ReasonMalformed, "message type %d", b[1])
}

func decodeRequest(b []byte) (*Request, error) {
	if len(b) < requestHeaderSize {
		return nil, refuse(ReasonMalformed, "request of %d bytes", len(b))
	}
	r := &Request{Level: b[34]}
	copy(r.Block[:], b[2:34])
	ms := binary.BigEndian.Uint64(b[35:43])
	n := int(b[43])
	switch {
	case r.Level == 0:
		return nil, refuse(ReasonMalformed, "request for level 0")
	case ms == 0 || ms > 1<<53:
		return nil, refuse(ReasonMalformed, "request deadline %d ms", ms)
	case n > MaxRequired:
		return nil, refuse(ReasonMalformed, "%d lower verifications, limit %d", n, MaxRequired)
	case len(b) != requestHeaderSize+n*verificationSize:
		return nil, refuse(ReasonMalformed, "request of %d bytes for %d lower verifications", len(b), n)
	}
	r.Deadline = time.UnixMilli(int64(ms))
	rest := b[requestHeaderSize:]
	for i := 0; i < n; i++ {
		v := decodeVerification(rest[i*verificationSize:])
		if v.Block != r.Block {
			return nil, refuse(ReasonMalformed, "lower verification %d is for block %s", i, v.Block)
		}
		if i > 0 && bytes.Compare(r.Lower[i-1].Verifier[:], v.Verifier[:]) >= 0 {
			return nil, refuse(ReasonMalformed, "lower verifications not in strictly ascending verifier order")
		}
		r.Lower = append(r.Lower, v)
	}
	return r, nil
}

func decodeAck(b []byte) (Message, error) {
	if len(b) != ackSize {
		return Message{}, refuse(ReasonMalformed, "ack of %d bytes, want %d", len(b), ackSize)
	}
	a := &Ack{Level: b[34], Verdict: Verdict(b[67])}
	copy(a.Block[:], b[2:34])
	copy(a.Verifier[:], b[35:67])
	if a.Verdict >= verdictEnd || a.Level == 0 {
		return Message{}, refuse(ReasonMalformed, "ack status %d level %d", a.Verdict, a.Level)
	}
	return Message{Ack: a}, nil
}
