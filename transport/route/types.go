package route

import (
	"bytes"
	"encoding/hex"
)

// NodeID is a node's ed25519 public key: the key that signs its route
// announcements and the messages it originates, and (in a node) its libp2p
// identity, so the neighbour a link names is authenticated by the link.
type NodeID [32]byte

func (id NodeID) String() string { return hex.EncodeToString(id[:4]) }

// Less orders ids bytewise; ties between equal routes break by it so that
// every run of the same inputs selects the same routes.
func (id NodeID) Less(o NodeID) bool { return bytes.Compare(id[:], o[:]) < 0 }

// Class is the kind of a routed message. The validation hook is registered
// per class, and the class decides the link lane (LaneFor).
type Class uint8

// Classes. Values above ClassApp are free for consumers.
const (
	// ClassConsensus is consensus traffic (raft RPCs, votes): it rides the
	// link's control/consensus lane, never behind blocks or bulk data.
	ClassConsensus Class = 1
	// ClassTransaction is a transaction forwarded to a producer.
	ClassTransaction Class = 2
	// ClassRBC is reliable broadcast among the producers (transport/rbcrun:
	// echoes, readies, certificates). Like ClassConsensus it rides the
	// control lane; it is a class of its own so that it has its own
	// handler beside raft's.
	ClassRBC Class = 4
	// Class 5 is transport/broadcastrun's ClassBroadcast.

	// ClassAttest is attestation traffic (consensus/attest requests,
	// receipts, acks): consensus-class priority, so it rides the control
	// lane like ClassConsensus, but has its own handler (raft owns that).
	ClassAttest Class = 6
	// ClassApp is the first class free for applications.
	ClassApp Class = 16
)

// Lane is the link lane a message must ride. The driver maps it to the
// link's lanes.
type Lane uint8

const (
	// LaneControl is the link's control/consensus lane: routing control
	// (hellos, updates, requests; hellos there keep RTT samples free of bulk
	// queueing) and consensus-class data.
	LaneControl Lane = iota
	// LaneRouting is the link's routing lane: every other data class.
	LaneRouting
)

func (l Lane) String() string {
	if l == LaneControl {
		return "control"
	}
	return "routing"
}

// LaneFor maps a data class to its lane.
func LaneFor(c Class) Lane {
	if c == ClassConsensus || c == ClassRBC || c == ClassAttest {
		return LaneControl
	}
	return LaneRouting
}

// Verdict is a validator's decision on a message before it is delivered or
// forwarded.
type Verdict uint8

const (
	// Accept delivers and forwards the message.
	Accept Verdict = iota
	// Ignore drops the message without blaming the neighbour that sent it
	// (a message for an unknown epoch, say).
	Ignore
	// Reject drops the message and penalizes the neighbour that sent it.
	Reject
	// Defer holds the message in a bounded queue until Revalidate decides
	// again (a vote for a block not yet received).
	Defer
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Ignore:
		return "ignore"
	case Reject:
		return "reject"
	case Defer:
		return "defer"
	}
	return "verdict(?)"
}

// Validator decides on a message of its class. origin is authenticated (its
// signature was checked), so a validator authorises by origin's role, never
// by the last hop or by what the payload claims. It must not retain payload
// and must be a pure function of its arguments and the consumer's state.
type Validator func(origin NodeID, class Class, payload []byte) Verdict

// Metric is an additive route cost in units of 100 µs of round-trip time
// (plus Config.HopCost per hop). Infinity (0xFFFF) is a retraction or an
// unusable route; sums saturate at it.
type Metric uint16

// Infinity is the metric of a retracted or unusable route.
const Infinity Metric = 0xFFFF

// add returns a+b saturated at Infinity.
func (a Metric) add(b Metric) Metric {
	s := uint32(a) + uint32(b)
	if s >= uint32(Infinity) {
		return Infinity
	}
	return Metric(s)
}

// newer reports whether sequence number a is newer than b in 16-bit serial
// arithmetic (RFC 8966 §3.2.1): a != b and (a − b) mod 2¹⁶ < 2¹⁵. Every
// seqno comparison goes through it; BIRD fixed three bugs of hand-written
// comparisons.
func newer(a, b uint16) bool { return a != b && a-b < 0x8000 }
