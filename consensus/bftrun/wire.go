package bftrun

import (
	"fmt"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/bft"
	"github.com/blockwire/blockwire/consensus/bftchain"
)

// Version is the envelope's wire version.
const Version = 1

// Envelope types.
const (
	typeMessage  = 1 // a bft.Message: a vote or a certificate
	typeProposal = 2 // the leader's notarize vote and its block
)

// envelopeHeader is version, type and the epoch tag.
const envelopeHeader = 1 + 1 + 32

// voteBytes is an encoded bft vote message (bft's wire format).
const voteBytes = 109

// maxMessageBytes bounds an encoded bft.Message: a certificate of
// bft.MaxSigners signers is under 66 KiB.
const maxMessageBytes = 1 + 1 + 1 + 8 + 32 + 3 + bft.MaxSigners/8 + 64*bft.MaxSigners

// envelope is one runner message on the wire:
//
//	version(1) = 1 ‖ type(1) ‖ epoch tag(32) ‖ body
//	type 1: body = bft message (vote or certificate, consensus/bft wire format)
//	type 2: body = the leader's notarize vote (a 109-byte bft vote message)
//	        ‖ the block (chain/block encoding)
//
// The tag names the epoch (bftchain.Epoch) whose set the sender counts
// votes in; a receiver in another epoch drops the message (and answers a
// sender in an epoch it left with the finalization that ended it).
type envelope struct {
	typ   byte
	epoch bftchain.Tag
	msg   bft.Message
	block *block.Block
}

func appendHeader(b []byte, typ byte, tag bftchain.Tag) []byte {
	b = append(b, Version, typ)
	return append(b, tag[:]...)
}

// encodeMessage is a type 1 envelope.
func encodeMessage(tag bftchain.Tag, m bft.Message) []byte {
	return m.AppendBinary(appendHeader(nil, typeMessage, tag))
}

// encodeProposal is a type 2 envelope.
func encodeProposal(tag bftchain.Tag, vote *bft.Vote, b *block.Block) []byte {
	out := bft.Message{Vote: vote}.AppendBinary(appendHeader(nil, typeProposal, tag))
	return b.AppendEncoding(out)
}

// decodeEnvelope parses an envelope strictly; its errors are *bft.Error
// values (ReasonMalformed, ReasonVersion, ReasonOversized).
func decodeEnvelope(b []byte, lim block.Limits) (envelope, error) {
	var env envelope
	if len(b) < envelopeHeader {
		return env, &bft.Error{Reason: bft.ReasonMalformed, Detail: fmt.Sprintf("envelope of %d bytes", len(b))}
	}
	if b[0] != Version {
		return env, &bft.Error{Reason: bft.ReasonVersion, Detail: fmt.Sprintf("envelope version %d", b[0])}
	}
	env.typ = b[1]
	copy(env.epoch[:], b[2:envelopeHeader])
	body := b[envelopeHeader:]
	var err error
	switch env.typ {
	case typeMessage:
		env.msg, err = bft.DecodeMessage(body, maxMessageBytes)
	case typeProposal:
		if len(body) < voteBytes {
			return env, &bft.Error{Reason: bft.ReasonMalformed, Detail: "proposal without its vote"}
		}
		if env.msg, err = bft.DecodeMessage(body[:voteBytes], voteBytes); err != nil {
			return env, err
		}
		if env.msg.Vote == nil || env.msg.Vote.Kind != bft.Notarize {
			return env, &bft.Error{Reason: bft.ReasonMalformed, Detail: "a proposal's vote must be a notarize vote"}
		}
		if env.block, err = block.Decode(body[voteBytes:], lim); err != nil {
			return env, &bft.Error{Reason: bft.ReasonMalformed, Detail: "proposal block: " + err.Error()}
		}
		v := env.msg.Vote
		if v.Block != env.block.ID() || v.View != env.block.Term {
			return env, &bft.Error{Reason: bft.ReasonMalformed, Detail: fmt.Sprintf("proposal vote %s for block %s of view %d", v, env.block.ID(), env.block.Term)}
		}
	default:
		return env, &bft.Error{Reason: bft.ReasonMalformed, Detail: fmt.Sprintf("envelope type %d", env.typ)}
	}
	return env, err
}
