package cft

import (
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

func conf(ids ...raft.ServerID) raft.Configuration {
	var c raft.Configuration
	for _, id := range ids {
		c.Servers = append(c.Servers, raft.Server{ID: id, Address: raft.ServerAddress(id), Suffrage: raft.Voter})
	}
	return c
}

// TestMembershipAdmit: a peer may speak raft if any part of what the node
// knows lists it (each part alone suffices), and only then.
func TestMembershipAdmit(t *testing.T) {
	nonvoter := conf("nv")
	nonvoter.Servers[0].Suffrage = raft.Nonvoter
	cases := []struct {
		name string
		m    Membership
		from raft.ServerID
		ok   bool
	}{
		{"voter of the latest configuration", Membership{Latest: conf("a", "b")}, "b", true},
		{"non-voter of the latest configuration", Membership{Latest: nonvoter}, "nv", true},
		{"being removed: still in the committed configuration", Membership{Latest: conf("a"), Committed: conf("a", "b")}, "b", true},
		{"pending add", Membership{Latest: conf("a"), Pending: []Change{{Op: OpAdd, ID: "c", Addr: "c"}}}, "c", true},
		{"the caller's producer set", Membership{Extra: []raft.ServerID{"a"}}, "a", true},
		{"stranger", Membership{Latest: conf("a"), Committed: conf("a"), Extra: []raft.ServerID{"a"}}, "x", false},
		{"pending remove does not admit", Membership{Latest: conf("a"), Pending: []Change{{Op: OpRemove, ID: "b"}}}, "b", false},
		{"removed everywhere", Membership{Latest: conf("a"), Committed: conf("a")}, "b", false},
		{"empty membership admits nobody", Membership{}, "a", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Admit(tc.from)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrRefused)
			var re *RefusedError
			require.ErrorAs(t, err, &re)
			require.Equal(t, RefuseNotMember, re.Reason)
			require.Equal(t, tc.from, re.Peer)
		})
	}
	err := (&Membership{Latest: conf("a")}).Admit("")
	require.ErrorIs(t, err, ErrRefused)
	require.Contains(t, err.Error(), RefuseUnauthenticated)
}

// TestCheckHead: every field that names the sender must name the
// authenticated peer; unknown types and stray sizes are malformed.
func TestCheckHead(t *testing.T) {
	hdr := func(id, addr string) raft.RPCHeader {
		return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(id), Addr: []byte(addr)}
	}
	cases := []struct {
		name   string
		typ    byte
		h      rpcHead
		reason string // "" = accepted
	}{
		{"append entries", rpcAppendEntries, rpcHead{RPCHeader: hdr("p", "p"), Leader: []byte("p")}, ""},
		{"vote", rpcRequestVote, rpcHead{RPCHeader: hdr("p", "p"), Candidate: []byte("p")}, ""},
		{"pre-vote", rpcRequestPreVote, rpcHead{RPCHeader: hdr("p", "p")}, ""},
		{"timeout now", rpcTimeoutNow, rpcHead{RPCHeader: hdr("p", "p")}, ""},
		{"snapshot", rpcInstallSnapshot, rpcHead{RPCHeader: hdr("p", "p"), Leader: []byte("p"), Size: 10}, ""},
		{"legacy fields empty", rpcAppendEntries, rpcHead{RPCHeader: hdr("p", "p")}, ""},
		{"id names another", rpcAppendEntries, rpcHead{RPCHeader: hdr("q", "p")}, RefuseHeader},
		{"addr names another", rpcTimeoutNow, rpcHead{RPCHeader: hdr("p", "q")}, RefuseHeader},
		{"empty header", rpcRequestVote, rpcHead{}, RefuseHeader},
		{"leader names another", rpcAppendEntries, rpcHead{RPCHeader: hdr("p", "p"), Leader: []byte("q")}, RefuseHeader},
		{"candidate names another", rpcRequestVote, rpcHead{RPCHeader: hdr("p", "p"), Candidate: []byte("q")}, RefuseHeader},
		{"unknown type", 9, rpcHead{RPCHeader: hdr("p", "p")}, RefuseMalformed},
		{"negative snapshot size", rpcInstallSnapshot, rpcHead{RPCHeader: hdr("p", "p"), Size: -1}, RefuseMalformed},
		{"size on a non-snapshot", rpcAppendEntries, rpcHead{RPCHeader: hdr("p", "p"), Size: 5}, RefuseMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkHead("p", tc.typ, &tc.h)
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			var re *RefusedError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.reason, re.Reason)
			require.Equal(t, raft.ServerID("p"), re.Peer)
		})
	}
}
