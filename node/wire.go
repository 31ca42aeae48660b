package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Routing-lane messages (wire version 1). The node's transaction forwarding
// is a small request/response protocol on link.LaneRouting until the
// transport layer's multi-hop routing replaces it:
//
//	byte 0   version (1)
//	byte 1   type: 1 submit, 2 reply
//	submit:  id u64 | hops u8 | tx (rest)
//	reply:   id u64 | code u8 | detail (rest, UTF-8, at most 256 bytes)
//
// Integers are big-endian. The id is chosen by the sender of the submit and
// echoed in the reply; each relay allocates its own id toward the next hop.
// hops counts relays left; a relay with none left replies codeNoProducer.
// Unknown versions or types are dropped and logged (forward compatibility:
// a new field changes the version).
const (
	wireVersion = 1

	typeSubmit = 1
	typeReply  = 2

	submitHeader = 2 + 8 + 1
	replyHeader  = 2 + 8 + 1
	maxDetail    = 256
)

// Reply codes.
const (
	codeAccepted   = 1 // in the leader's mempool
	codeRejected   = 2 // invalid or mempool full; detail is the reason
	codeNoProducer = 3 // the relay cannot reach a producer
	codeTimeout    = 4 // the next hop did not answer in time
)

type submitMsg struct {
	id   uint64
	hops uint8
	tx   []byte
}

type replyMsg struct {
	id     uint64
	code   uint8
	detail string
}

func (m *submitMsg) encode() []byte {
	b := make([]byte, 0, submitHeader+len(m.tx))
	b = append(b, wireVersion, typeSubmit)
	b = binary.BigEndian.AppendUint64(b, m.id)
	b = append(b, m.hops)
	return append(b, m.tx...)
}

func (m *replyMsg) encode() []byte {
	d := m.detail
	if len(d) > maxDetail {
		// Cut on a character boundary so the requester gets valid text.
		n := maxDetail
		for n > 0 && !utf8.RuneStart(d[n]) {
			n--
		}
		d = d[:n]
	}
	b := make([]byte, 0, replyHeader+len(d))
	b = append(b, wireVersion, typeReply)
	b = binary.BigEndian.AppendUint64(b, m.id)
	b = append(b, m.code)
	return append(b, d...)
}

var errWire = errors.New("node: malformed routing message")

// decodeRouting returns a *submitMsg or *replyMsg. The submit's tx aliases
// data.
func decodeRouting(data []byte) (any, error) {
	if len(data) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", errWire, len(data))
	}
	if data[0] != wireVersion {
		return nil, fmt.Errorf("%w: version %d", errWire, data[0])
	}
	switch data[1] {
	case typeSubmit:
		if len(data) < submitHeader {
			return nil, fmt.Errorf("%w: submit of %d bytes", errWire, len(data))
		}
		return &submitMsg{id: binary.BigEndian.Uint64(data[2:]), hops: data[10], tx: data[submitHeader:]}, nil
	case typeReply:
		if len(data) < replyHeader || len(data) > replyHeader+maxDetail {
			return nil, fmt.Errorf("%w: reply of %d bytes", errWire, len(data))
		}
		return &replyMsg{id: binary.BigEndian.Uint64(data[2:]), code: data[10], detail: string(data[replyHeader:])}, nil
	}
	return nil, fmt.Errorf("%w: type %d", errWire, data[1])
}
