package cft

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// wireSamples is one message of every kind and rpc type, with every field
// set (so a field the codec forgets fails the round trip).
//
//nolint:staticcheck // deprecated raft fields are part of the wire format
func wireSamples() []wireMsg {
	h := raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("p1"), Addr: []byte("p1")}
	at := time.Unix(1700000000, 123456789)
	logs := []*raft.Log{
		{Index: 7, Term: 3, Type: raft.LogCommand, Data: []byte("block"), Extensions: []byte("ext"), AppendedAt: at},
		{Index: 8, Term: 3, Type: raft.LogConfiguration, Data: []byte{1, 2, 3}},
	}
	return []wireMsg{
		{kind: kindRequest, id: 1, rpcType: rpcAppendEntries, body: &raft.AppendEntriesRequest{RPCHeader: h, Term: 3, Leader: []byte("p1"),
			PrevLogEntry: 6, PrevLogTerm: 2, Entries: logs, LeaderCommitIndex: 6}},
		{kind: kindRequest, id: 2, rpcType: rpcRequestVote, body: &raft.RequestVoteRequest{RPCHeader: h, Term: 4, Candidate: []byte("p1"),
			LastLogIndex: 9, LastLogTerm: 3, LeadershipTransfer: true}},
		{kind: kindRequest, id: 3, rpcType: rpcRequestPreVote, body: &raft.RequestPreVoteRequest{RPCHeader: h, Term: 4, LastLogIndex: 9, LastLogTerm: 3}},
		{kind: kindRequest, id: 4, rpcType: rpcInstallSnapshot, body: &raft.InstallSnapshotRequest{RPCHeader: h, SnapshotVersion: 1, Term: 4,
			Leader: []byte("p1"), LastLogIndex: 90, LastLogTerm: 4, Peers: []byte("x"), Configuration: []byte("conf"), ConfigurationIndex: 80, Size: 1 << 20}},
		{kind: kindRequest, id: 5, rpcType: rpcTimeoutNow, body: &raft.TimeoutNowRequest{RPCHeader: h}},
		{kind: kindResponse, id: 1, rpcType: rpcAppendEntries, body: &raft.AppendEntriesResponse{RPCHeader: h, Term: 3, LastLog: 8, Success: true, NoRetryBackoff: true}},
		{kind: kindResponse, id: 2, rpcType: rpcRequestVote, body: &raft.RequestVoteResponse{RPCHeader: h, Term: 4, Peers: []byte("y"), Granted: true}},
		{kind: kindResponse, id: 3, rpcType: rpcRequestPreVote, body: &raft.RequestPreVoteResponse{RPCHeader: h, Term: 4, Granted: true}},
		{kind: kindResponse, id: 4, rpcType: rpcInstallSnapshot, body: &raft.InstallSnapshotResponse{RPCHeader: h, Term: 4, Success: true}},
		{kind: kindResponse, id: 5, rpcType: rpcTimeoutNow, body: &raft.TimeoutNowResponse{RPCHeader: h}},
		{kind: kindResponse, id: 6, rpcType: rpcAppendEntries, errText: "unknown rpc type 9"},
		{kind: kindChunk, id: 4, offset: 16384, data: []byte("snapshot bytes")},
		{kind: kindAck, id: 4, offset: 32768},
	}
}

// TestMsgRoundTrip: every message decodes to what was encoded, and
// encodes back to the same bytes.
func TestMsgRoundTrip(t *testing.T) {
	for _, m := range wireSamples() {
		b := reencode(m)
		got, err := decodeMsg(b)
		require.NoError(t, err, "%d/%s", m.kind, rpcName(m.rpcType))
		require.Equal(t, m, got)
		require.Equal(t, b, reencode(got))
	}
}

// TestMsgDecodeStrict: each way a message can be wrong is refused with
// ErrMalformed and a reason naming it.
func TestMsgDecodeStrict(t *testing.T) {
	ae := reencode(wireSamples()[0])
	vote := reencode(wireSamples()[1])
	resp := reencode(wireSamples()[5])
	cases := []struct {
		name, reason string
		b            []byte
	}{
		{"empty", "envelope", nil},
		{"version 2", "version 2", append([]byte{2}, ae[1:]...)},
		{"unknown kind", "unknown kind 9", []byte{msgVersion, 9, 1}},
		{"rpc id 0", "rpc id 0", []byte{msgVersion, kindAck, 0, 0}},
		{"non-minimal rpc id", "envelope", []byte{msgVersion, kindAck, 0x81, 0x00, 0}},
		{"unknown rpc type", "unknown rpc type", []byte{msgVersion, kindRequest, 1, 9, 0, 0, 0}},
		{"trailing byte", "trailing", append(bytes.Clone(vote), 0)},
		{"truncated", "request AppendEntries", ae[:len(ae)-3]},
		{"undefined flag bit", "undefined flag bits", append(bytes.Clone(resp[:len(resp)-1]), 0x04)},
		{"entry count beyond the message", "entry count", []byte{msgVersion, kindRequest, 1, rpcAppendEntries, 1, 0, 0, 1, 0, 0, 0, 0x7f}},
		{"empty chunk", "empty chunk", []byte{msgVersion, kindChunk, 1, 0, 0}},
		{"oversized error text", "error text", append([]byte{msgVersion, kindResponse, 1, rpcTimeoutNow, 0x81, 0x02}, bytes.Repeat([]byte("e"), 257)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeMsg(tc.b)
			require.ErrorIs(t, err, ErrMalformed)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}

// FuzzMsgDecode: no input panics the decoder, and whatever decodes is in
// canonical form: it encodes back to exactly the input.
func FuzzMsgDecode(f *testing.F) {
	for _, m := range wireSamples() {
		f.Add(reencode(m))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := decodeMsg(in)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformed), "%v", err)
			return
		}
		require.Equal(t, in, reencode(m))
	})
}
