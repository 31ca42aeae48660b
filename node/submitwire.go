package node

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/blockwire/blockwire/transport/route"
)

// The payloads of transaction forwarding, carried by routed unicast on
// route.ClassTransaction (the transport authenticates origin and replier,
// relays and replies; docs/protocol.md §10):
//
//	byte 0   version (2; version 1 was the one-hop submit/reply protocol)
//	byte 1   type: 1 submit, 2 answer
//	submit:  tx (rest)
//	answer:  code u8 | leader[32] | detail (rest, UTF-8, at most 256 bytes)
//
// leader is the routing id of the leader as the answering producer knows
// it (all zero: unknown), so a submit that reached a producer that does
// not lead goes to the leader next. Unknown versions or types are refused.
const (
	submitVersion = 2

	typeSubmit = 1
	typeAnswer = 2

	answerHeader = 2 + 1 + 32
	maxDetail    = 256
)

// Answer codes.
const (
	codeAccepted   = 1 // in the leader's mempool
	codeRejected   = 2 // invalid or mempool full; detail is the reason
	codeNoProducer = 3 // not the leader (leader says who is, if known), or no leader
	codeTimeout    = 4 // local only: no answer within SubmitAckTimeout
)

type answerMsg struct {
	code   uint8
	leader route.NodeID
	detail string
}

func encodeSubmit(tx []byte) []byte {
	return append([]byte{submitVersion, typeSubmit}, tx...)
}

func (m *answerMsg) encode() []byte {
	d := m.detail
	if len(d) > maxDetail {
		// Cut on a character boundary so the submitter gets valid text.
		n := maxDetail
		for n > 0 && !utf8.RuneStart(d[n]) {
			n--
		}
		d = d[:n]
	}
	b := make([]byte, 0, answerHeader+len(d))
	b = append(b, submitVersion, typeAnswer, m.code)
	b = append(b, m.leader[:]...)
	return append(b, d...)
}

var errWire = errors.New("node: malformed transaction message")

// decodeSubmit returns the transaction of a submit (aliasing data).
func decodeSubmit(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != submitVersion || data[1] != typeSubmit {
		return nil, fmt.Errorf("%w: not a version %d submit", errWire, submitVersion)
	}
	return data[2:], nil
}

func decodeAnswer(data []byte) (*answerMsg, error) {
	if len(data) < answerHeader || len(data) > answerHeader+maxDetail {
		return nil, fmt.Errorf("%w: answer of %d bytes", errWire, len(data))
	}
	if data[0] != submitVersion || data[1] != typeAnswer {
		return nil, fmt.Errorf("%w: not a version %d answer", errWire, submitVersion)
	}
	m := &answerMsg{code: data[2], detail: string(data[answerHeader:])}
	copy(m.leader[:], data[3:answerHeader])
	if m.code < codeAccepted || m.code > codeNoProducer {
		return nil, fmt.Errorf("%w: answer code %d", errWire, m.code)
	}
	return m, nil
}
