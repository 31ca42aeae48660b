package submit

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
	// Version is the wire version.
	Version = 2

	typeSubmit = 1
	typeAnswer = 2

	answerHeader = 2 + 1 + 32
	// MaxDetail bounds an answer's detail in bytes.
	MaxDetail = 256
)

// Code is an answer's code.
type Code = uint8

// Answer codes.
const (
	Accepted   Code = 1 // in the leader's mempool
	Rejected   Code = 2 // invalid or mempool full; detail is the reason
	NoProducer Code = 3 // not the leader (leader says who is, if known), or no leader
	Timeout    Code = 4 // local only: no answer within the submitter's deadline
)

// Answer is a producer's answer to a submit.
type Answer struct {
	Code   Code
	Leader route.NodeID
	Detail string
}

// submitHeader is a submit's bytes before the transaction.
const submitHeader = 2

// EncodeSubmit returns the submit of tx.
func EncodeSubmit(tx []byte) []byte {
	return append([]byte{Version, typeSubmit}, tx...)
}

// MaxTx is the largest transaction a submit carries in a routed payload of
// at most maxPayload bytes.
func MaxTx(maxPayload int) int { return maxPayload - submitHeader }

// Encode returns the answer's bytes (a longer detail is cut to MaxDetail
// bytes on a character boundary).
func (m *Answer) Encode() []byte {
	d := m.Detail
	if len(d) > MaxDetail {
		// Cut on a character boundary so the submitter gets valid text.
		n := MaxDetail
		for n > 0 && !utf8.RuneStart(d[n]) {
			n--
		}
		d = d[:n]
	}
	b := make([]byte, 0, answerHeader+len(d))
	b = append(b, Version, typeAnswer, m.Code)
	b = append(b, m.Leader[:]...)
	return append(b, d...)
}

// ErrWire matches every decoding error.
var ErrWire = errors.New("submit: malformed transaction message")

// DecodeSubmit returns the transaction of a submit (aliasing data).
func DecodeSubmit(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != Version || data[1] != typeSubmit {
		return nil, fmt.Errorf("%w: not a version %d submit", ErrWire, Version)
	}
	return data[2:], nil
}

// DecodeAnswer decodes an answer; Timeout never travels.
func DecodeAnswer(data []byte) (*Answer, error) {
	if len(data) < answerHeader || len(data) > answerHeader+MaxDetail {
		return nil, fmt.Errorf("%w: answer of %d bytes", ErrWire, len(data))
	}
	if data[0] != Version || data[1] != typeAnswer {
		return nil, fmt.Errorf("%w: not a version %d answer", ErrWire, Version)
	}
	m := &Answer{Code: data[2], Detail: string(data[answerHeader:])}
	copy(m.Leader[:], data[3:answerHeader])
	if m.Code < Accepted || m.Code > NoProducer {
		return nil, fmt.Errorf("%w: answer code %d", ErrWire, m.Code)
	}
	return m, nil
}
