package rbcrun

import (
	"fmt"

	"github.com/blockwire/blockwire/transport/rbc"
)

// envelopeVersion is the first byte of every envelope.
const envelopeVersion = 1

// tagSize is the bytes of the participant set's hash an envelope carries.
const tagSize = 8

// Tag names a participant set on the wire: the first 8 bytes of its hash
// (rbcstore.ScopeOf is the same bytes).
type Tag [tagSize]byte

func tagOf(set *rbc.Participants) Tag {
	var t Tag
	h := set.Hash()
	copy(t[:], h[:])
	return t
}

// encode wraps an rbc message: version(1) = 1 ‖ set tag(8) ‖ message
// (transport/rbc's wire format). The tag lets a receiver tell a message
// of another participant set (a producer-set change that has reached one
// of us first) from a forgery: the first is ignored, the second's
// signatures would not verify and cost its sender.
func encode(tag Tag, m rbc.Message) []byte {
	b := make([]byte, 0, 1+tagSize+96+len(m.Payload))
	b = append(b, envelopeVersion)
	b = append(b, tag[:]...)
	return m.AppendBinary(b)
}

// decodeEnvelope splits an envelope; the message is decoded by the core.
func decodeEnvelope(b []byte) (Tag, []byte, error) {
	var t Tag
	if len(b) < 1+tagSize {
		return t, nil, &rbc.Error{Reason: rbc.ReasonMalformed, Detail: fmt.Sprintf("envelope of %d bytes", len(b))}
	}
	if b[0] != envelopeVersion {
		return t, nil, &rbc.Error{Reason: rbc.ReasonVersion, Detail: fmt.Sprintf("envelope version %d", b[0])}
	}
	copy(t[:], b[1:])
	return t, b[1+tagSize:], nil
}
