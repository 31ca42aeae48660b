package cft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/raft"
)

// Wire format of raft over a Messenger (docs/protocol.md, "cft: raft
// messages"). Every message is one Messenger payload:
//
//	version  byte     msgVersion (1); any other value is refused
//	kind     byte     kindRequest | kindResponse | kindChunk | kindAck
//	rpc id   uvarint  chosen by the caller, non-zero, unique per caller
//	body     by kind:
//	  request:  type byte (rpcAppendEntries..rpcRequestPreVote), the request
//	  response: type byte, error string (uvarint length ≤ maxErrText, bytes),
//	            then the response unless the error string is non-empty
//	  chunk:    offset uvarint, data (uvarint length ≥ 1, bytes)
//	  ack:      offset uvarint (snapshot bytes the receiver's raft consumed)
//
// Integers are minimal uvarints (a non-minimal encoding is malformed);
// byte strings are a uvarint length and the bytes; booleans are packed in
// one flags byte whose undefined bits must be zero; a message must end
// exactly where its body does. So every message has exactly one encoding,
// and decode(encode(m)) == m (FuzzMsgDecode checks re-encoding too).
// A new field or kind means a new version: a receiver refuses versions it
// does not know rather than guess.
const (
	msgVersion = 1

	kindRequest  = 1
	kindResponse = 2
	kindChunk    = 3
	kindAck      = 4

	// maxErrText bounds a response's error string.
	maxErrText = 256
	// msgOverhead bounds the envelope and a chunk's or request's framing
	// (version, kind, id, type, lengths), for sizing chunks and batches.
	msgOverhead = 48
)

// ErrMalformed wraps every decode failure of a raft message.
var ErrMalformed = errors.New("cft: malformed raft message")

// wireMsg is one decoded message; which fields are set depends on kind.
type wireMsg struct {
	kind    byte
	id      uint64
	rpcType byte   // request, response
	body    any    // *raft.XRequest (request) or *raft.XResponse (response, no error)
	errText string // response
	offset  uint64 // chunk, ack
	data    []byte // chunk
}

func rpcName(t byte) string {
	switch t {
	case rpcAppendEntries:
		return "AppendEntries"
	case rpcRequestVote:
		return "RequestVote"
	case rpcInstallSnapshot:
		return "InstallSnapshot"
	case rpcTimeoutNow:
		return "TimeoutNow"
	case rpcRequestPreVote:
		return "RequestPreVote"
	}
	return fmt.Sprintf("rpc(%d)", t)
}

func appendEnvelope(b []byte, kind byte, id uint64) []byte {
	b = append(b, msgVersion, kind)
	return binary.AppendUvarint(b, id)
}

// appendRequest appends a request message; req is a raft request pointer.
func appendRequest(b []byte, id uint64, req any) ([]byte, error) {
	t, ok := requestType(req)
	if !ok {
		return nil, fmt.Errorf("cft: cannot encode %T", req)
	}
	b = append(appendEnvelope(b, kindRequest, id), t)
	return appendBody(b, req), nil
}

// appendResponse appends a response message: the error text if errText is
// set, else resp (a raft response pointer).
func appendResponse(b []byte, id uint64, t byte, resp any, errText string) []byte {
	if len(errText) > maxErrText {
		errText = errText[:maxErrText]
	}
	if errText == "" && resp == nil {
		errText = "no response"
	}
	b = append(appendEnvelope(b, kindResponse, id), t)
	b = appendBytes(b, []byte(errText))
	if errText != "" {
		return b
	}
	return appendBody(b, resp)
}

func appendChunk(b []byte, id, offset uint64, data []byte) []byte {
	b = binary.AppendUvarint(appendEnvelope(b, kindChunk, id), offset)
	return appendBytes(b, data)
}

func appendAck(b []byte, id, offset uint64) []byte {
	return binary.AppendUvarint(appendEnvelope(b, kindAck, id), offset)
}

func requestType(req any) (byte, bool) {
	switch req.(type) {
	case *raft.AppendEntriesRequest:
		return rpcAppendEntries, true
	case *raft.RequestVoteRequest:
		return rpcRequestVote, true
	case *raft.InstallSnapshotRequest:
		return rpcInstallSnapshot, true
	case *raft.TimeoutNowRequest:
		return rpcTimeoutNow, true
	case *raft.RequestPreVoteRequest:
		return rpcRequestPreVote, true
	}
	return 0, false
}

func appendHeader(b []byte, h *raft.RPCHeader) []byte {
	b = binary.AppendUvarint(b, uint64(h.ProtocolVersion))
	b = appendBytes(b, h.ID)
	return appendBytes(b, h.Addr)
}

func appendFlags(b []byte, flags ...bool) []byte {
	var v byte
	for i, f := range flags {
		if f {
			v |= 1 << i
		}
	}
	return append(b, v)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

func appendLog(b []byte, l *raft.Log) []byte {
	b = binary.AppendUvarint(b, l.Index)
	b = binary.AppendUvarint(b, l.Term)
	b = append(b, byte(l.Type))
	b = appendBytes(b, l.Data)
	b = appendBytes(b, l.Extensions)
	return appendTime(b, l.AppendedAt)
}

//nolint:staticcheck // Leader, Candidate and Peers are deprecated, but raft still reads and fills them.
func appendBody(b []byte, v any) []byte {
	u := binary.AppendUvarint
	switch m := v.(type) {
	case *raft.AppendEntriesRequest:
		b = appendHeader(b, &m.RPCHeader)
		b = appendBytes(u(b, m.Term), m.Leader)
		b = u(u(b, m.PrevLogEntry), m.PrevLogTerm)
		b = u(b, uint64(len(m.Entries)))
		for _, l := range m.Entries {
			b = appendLog(b, l)
		}
		return u(b, m.LeaderCommitIndex)
	case *raft.AppendEntriesResponse:
		b = appendHeader(b, &m.RPCHeader)
		return appendFlags(u(u(b, m.Term), m.LastLog), m.Success, m.NoRetryBackoff)
	case *raft.RequestVoteRequest:
		b = appendHeader(b, &m.RPCHeader)
		b = appendBytes(u(b, m.Term), m.Candidate)
		return appendFlags(u(u(b, m.LastLogIndex), m.LastLogTerm), m.LeadershipTransfer)
	case *raft.RequestVoteResponse:
		b = appendHeader(b, &m.RPCHeader)
		return appendFlags(appendBytes(u(b, m.Term), m.Peers), m.Granted)
	case *raft.RequestPreVoteRequest:
		b = appendHeader(b, &m.RPCHeader)
		return u(u(u(b, m.Term), m.LastLogIndex), m.LastLogTerm)
	case *raft.RequestPreVoteResponse:
		b = appendHeader(b, &m.RPCHeader)
		return appendFlags(u(b, m.Term), m.Granted)
	case *raft.InstallSnapshotRequest:
		b = appendHeader(b, &m.RPCHeader)
		b = appendBytes(u(u(b, uint64(m.SnapshotVersion)), m.Term), m.Leader)
		b = appendBytes(u(u(b, m.LastLogIndex), m.LastLogTerm), m.Peers)
		b = u(appendBytes(b, m.Configuration), m.ConfigurationIndex)
		return u(b, uint64(m.Size)) // Size ≥ 0: the sender checks
	case *raft.InstallSnapshotResponse:
		b = appendHeader(b, &m.RPCHeader)
		return appendFlags(u(b, m.Term), m.Success)
	case *raft.TimeoutNowRequest:
		return appendHeader(b, &m.RPCHeader)
	case *raft.TimeoutNowResponse:
		return appendHeader(b, &m.RPCHeader)
	}
	panic(fmt.Sprintf("cft: appendBody of %T", v)) // callers pass only raft RPC types
}

// decodeMsg decodes one message strictly: the version, a known kind and
// type, minimal integers, lengths within the input, defined flag bits only,
// and no trailing bytes. Errors wrap ErrMalformed and name what failed.
func decodeMsg(b []byte) (wireMsg, error) {
	var m wireMsg
	d := &decoder{b: b}
	if v := d.byte(); d.err == nil && v != msgVersion {
		return m, fmt.Errorf("%w: version %d, want %d", ErrMalformed, v, msgVersion)
	}
	m.kind, m.id = d.byte(), d.uvarint()
	if d.err != nil {
		return m, fmt.Errorf("%w: envelope: %w", ErrMalformed, d.err)
	}
	if m.id == 0 {
		return m, fmt.Errorf("%w: rpc id 0", ErrMalformed)
	}
	var what string
	switch m.kind {
	case kindRequest:
		m.rpcType = d.byte()
		what = "request " + rpcName(m.rpcType)
		m.body = decodeBody(d, m.rpcType, true)
	case kindResponse:
		m.rpcType = d.byte()
		what = "response " + rpcName(m.rpcType)
		m.errText = string(d.bytes())
		if len(m.errText) > maxErrText {
			return m, fmt.Errorf("%w: error text of %d bytes", ErrMalformed, len(m.errText))
		}
		if m.errText == "" {
			m.body = decodeBody(d, m.rpcType, false)
		}
	case kindChunk:
		what = "chunk"
		m.offset, m.data = d.uvarint(), d.bytes()
		if d.err == nil && len(m.data) == 0 {
			return m, fmt.Errorf("%w: empty chunk", ErrMalformed)
		}
	case kindAck:
		what = "ack"
		m.offset = d.uvarint()
	default:
		return m, fmt.Errorf("%w: unknown kind %d", ErrMalformed, m.kind)
	}
	switch {
	case d.err != nil:
		return m, fmt.Errorf("%w: %s: %w", ErrMalformed, what, d.err)
	case len(d.b) != 0:
		return m, fmt.Errorf("%w: %s: %d trailing bytes", ErrMalformed, what, len(d.b))
	}
	return m, nil
}

var (
	errFlags   = errors.New("undefined flag bits")
	errType    = errors.New("unknown rpc type")
	errRange   = errors.New("value out of range")
	errEntries = errors.New("entry count exceeds the message")
)

func (d *decoder) failWith(err error) {
	if d.err == nil {
		d.err, d.b = err, nil
	}
}

// flags reads a flags byte with n defined bits.
func (d *decoder) flags(n int) []bool {
	v := d.byte()
	if v>>n != 0 {
		d.failWith(errFlags)
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = v&(1<<i) != 0
	}
	return out
}

// nbytes is bytes that decodes an empty string as nil, as raft's own
// encoding leaves absent fields.
func (d *decoder) nbytes() []byte {
	v := d.bytes()
	if len(v) == 0 {
		return nil
	}
	return v
}

func (d *decoder) header() raft.RPCHeader {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.failWith(errRange)
	}
	return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersion(v), ID: d.nbytes(), Addr: d.nbytes()}
}

func (d *decoder) time() time.Time {
	v := d.varint()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v)
}

func (d *decoder) log() *raft.Log {
	l := &raft.Log{Index: d.uvarint(), Term: d.uvarint(), Type: raft.LogType(d.byte())}
	l.Data, l.Extensions, l.AppendedAt = d.nbytes(), d.nbytes(), d.time()
	return l
}

// minLogBytes is the smallest encoded raft.Log: a count of entries above
// remaining/minLogBytes cannot be honest, and is refused before allocating.
const minLogBytes = 6

//nolint:staticcheck // deprecated fields: see appendBody
func decodeBody(d *decoder, t byte, req bool) any {
	u := d.uvarint
	switch {
	case t == rpcAppendEntries && req:
		m := &raft.AppendEntriesRequest{RPCHeader: d.header(), Term: u(), Leader: d.nbytes(), PrevLogEntry: u(), PrevLogTerm: u()}
		n := u()
		if n > uint64(len(d.b)/minLogBytes) {
			d.failWith(errEntries)
			return m
		}
		for range n {
			m.Entries = append(m.Entries, d.log())
		}
		m.LeaderCommitIndex = u()
		return m
	case t == rpcAppendEntries:
		m := &raft.AppendEntriesResponse{RPCHeader: d.header(), Term: u(), LastLog: u()}
		f := d.flags(2)
		m.Success, m.NoRetryBackoff = f[0], f[1]
		return m
	case t == rpcRequestVote && req:
		m := &raft.RequestVoteRequest{RPCHeader: d.header(), Term: u(), Candidate: d.nbytes(), LastLogIndex: u(), LastLogTerm: u()}
		m.LeadershipTransfer = d.flags(1)[0]
		return m
	case t == rpcRequestVote:
		m := &raft.RequestVoteResponse{RPCHeader: d.header(), Term: u(), Peers: d.nbytes()}
		m.Granted = d.flags(1)[0]
		return m
	case t == rpcRequestPreVote && req:
		return &raft.RequestPreVoteRequest{RPCHeader: d.header(), Term: u(), LastLogIndex: u(), LastLogTerm: u()}
	case t == rpcRequestPreVote:
		m := &raft.RequestPreVoteResponse{RPCHeader: d.header(), Term: u()}
		m.Granted = d.flags(1)[0]
		return m
	case t == rpcInstallSnapshot && req:
		m := &raft.InstallSnapshotRequest{RPCHeader: d.header()}
		sv := u()
		if sv > math.MaxInt32 {
			d.failWith(errRange)
		}
		m.SnapshotVersion, m.Term, m.Leader = raft.SnapshotVersion(sv), u(), d.nbytes()
		m.LastLogIndex, m.LastLogTerm, m.Peers = u(), u(), d.nbytes()
		m.Configuration, m.ConfigurationIndex = d.nbytes(), u()
		size := u()
		if size > math.MaxInt64 {
			d.failWith(errRange)
		}
		m.Size = int64(size)
		return m
	case t == rpcInstallSnapshot:
		m := &raft.InstallSnapshotResponse{RPCHeader: d.header(), Term: u()}
		m.Success = d.flags(1)[0]
		return m
	case t == rpcTimeoutNow && req:
		return &raft.TimeoutNowRequest{RPCHeader: d.header()}
	case t == rpcTimeoutNow:
		return &raft.TimeoutNowResponse{RPCHeader: d.header()}
	}
	d.failWith(errType)
	return nil
}

// reencode encodes m again (FuzzMsgDecode's canonical-form check).
func reencode(m wireMsg) []byte {
	switch m.kind {
	case kindRequest:
		b, _ := appendRequest(nil, m.id, m.body)
		return b
	case kindResponse:
		return appendResponse(nil, m.id, m.rpcType, m.body, m.errText)
	case kindChunk:
		return appendChunk(nil, m.id, m.offset, m.data)
	}
	return appendAck(nil, m.id, m.offset)
}
