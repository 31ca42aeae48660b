package cft

import (
	"fmt"
	"slices"

	"github.com/hashicorp/raft"
)

// Refusal reasons (RefusedError.Reason), stable strings for logs, metrics
// and the ban reason an operator sees.
const (
	// RefuseUnauthenticated: the stream layer could not say which peer is
	// at the other end (it does not implement PeerConn).
	RefuseUnauthenticated = "unauthenticated"
	// RefuseNotMember: the authenticated peer is not in the producer set
	// (Membership) this node holds.
	RefuseNotMember = "not-a-member"
	// RefuseHeader: an RPC names a sender (RPC header ID or Addr, or the
	// legacy Leader/Candidate field) other than the authenticated peer.
	RefuseHeader = "header-mismatch"
	// RefuseMalformed: the bytes are not a raft NetworkTransport request.
	RefuseMalformed = "malformed-rpc"
)

// RefusedError says why raft traffic from a peer was refused. It matches
// ErrRefused with errors.Is.
type RefusedError struct {
	Peer   raft.ServerID
	Reason string // one of the Refuse* constants
	Detail string
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("cft: raft traffic from %s refused: %s", e.Peer, e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Membership is what a node knows of the producer set when it decides
// whether a peer may speak raft to it. Authorisation is by the role of the
// authenticated peer, never by what its messages claim (docs/architecture.md).
//
// A peer is a member if any part lists it. The parts overlap on purpose,
// so that an honest producer is not refused while a change is under way:
//
//   - Latest is raft's latest configuration (possibly uncommitted: the
//     leader's AddVoter shows here first);
//   - Committed is the last configuration the log committed (FSM): a
//     producer being removed stays a member until its removal commits
//     here, so the removal itself can be replicated to this node;
//   - Pending are producer-set changes committed but not yet carried out:
//     an OpAdd's server is a member as soon as its block commits;
//   - Extra is the caller's own view of the producer set in force (the
//     chain's, Deps.Peers): it lets a producer added by a change, whose
//     raft configuration is still empty or stale, accept the leader.
//
// A removed producer is refused once no part lists it: after its removal
// committed here and the chain's set dropped it.
type Membership struct {
	Latest, Committed raft.Configuration
	Pending           []Change
	Extra             []raft.ServerID
}

// Has reports whether id is a voter or non-voter of either configuration,
// the server of a pending add, or listed in Extra.
func (m *Membership) Has(id raft.ServerID) bool {
	inConf := func(c raft.Configuration) bool {
		return slices.ContainsFunc(c.Servers, func(s raft.Server) bool { return s.ID == id })
	}
	pending := slices.ContainsFunc(m.Pending, func(c Change) bool { return c.Op == OpAdd && c.ID == id })
	return inConf(m.Latest) || inConf(m.Committed) || pending || slices.Contains(m.Extra, id)
}

// Admit decides whether an inbound raft connection from the authenticated
// peer may be handed to raft: nil if the peer is a member.
func (m *Membership) Admit(from raft.ServerID) error {
	if from == "" {
		return &RefusedError{Reason: RefuseUnauthenticated}
	}
	if !m.Has(from) {
		return &RefusedError{Peer: from, Reason: RefuseNotMember}
	}
	return nil
}

// rpcHead is the part of every raft request the guard reads: the RPC header
// and the fields that name the sender or size what follows. Raft encodes
// requests as msgpack maps keyed by field name, and the decoder skips the
// fields rpcHead lacks (entries are parsed, not materialised).
type rpcHead struct {
	raft.RPCHeader
	// Leader (AppendEntries, InstallSnapshot) and Candidate (RequestVote)
	// are the pre-v3 sender fields; raft falls back to them when Addr is
	// empty, so they must name the sender too when present.
	Leader    []byte
	Candidate []byte
	// Size is InstallSnapshot's count of raw snapshot bytes that follow.
	Size int64
}

// NetworkTransport's request types (hashicorp/raft net_transport.go; the
// values are raft's wire format and do not change within v1).
const (
	rpcAppendEntries   = 0
	rpcRequestVote     = 1
	rpcInstallSnapshot = 2
	rpcTimeoutNow      = 3
	rpcRequestPreVote  = 4
)

// checkHead decides whether one request of type rpcType with head h may
// reach raft on a connection authenticated as from: every field naming the
// sender must name from (server id and address are both the peer id string
// under both stream layers).
func checkHead(from raft.ServerID, rpcType byte, h *rpcHead) error {
	if rpcType > rpcRequestPreVote {
		return &RefusedError{Peer: from, Reason: RefuseMalformed, Detail: fmt.Sprintf("unknown rpc type %d", rpcType)}
	}
	want := string(from)
	bad := func(field string, got []byte) error {
		return &RefusedError{Peer: from, Reason: RefuseHeader, Detail: fmt.Sprintf("%s %q", field, got)}
	}
	switch {
	case string(h.ID) != want:
		return bad("rpc header id", h.ID)
	case string(h.Addr) != want:
		return bad("rpc header addr", h.Addr)
	case len(h.Leader) > 0 && string(h.Leader) != want:
		return bad("leader", h.Leader)
	case len(h.Candidate) > 0 && string(h.Candidate) != want:
		return bad("candidate", h.Candidate)
	case h.Size < 0 || (rpcType != rpcInstallSnapshot && h.Size != 0):
		return &RefusedError{Peer: from, Reason: RefuseMalformed, Detail: fmt.Sprintf("size %d", h.Size)}
	}
	return nil
}
