package cft

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

var testTimeouts = MsgTimeouts{Heartbeat: 50 * time.Millisecond, Vote: 100 * time.Millisecond, Append: 100 * time.Millisecond, Snapshot: 500 * time.Millisecond}

// msgRig is a client transport at "a" and a server transport at "b" on a
// MemNet; a fake raft behind b records requests and answers success.
type msgRig struct {
	net    *MemNet
	client *MsgTransport
	server *MsgTransport

	mu       sync.Mutex
	members  Membership
	refusals []*RefusedError
	got      []raft.RPC
	snapData []byte
	// block, when set, holds raft's main loop (the consumer) until closed.
	block chan struct{}
	done  chan struct{}
}

func newMsgRig(t *testing.T, maxPayload int) *msgRig {
	r := &msgRig{net: NewMemNet(1, maxPayload), members: Membership{Latest: conf("a")}, done: make(chan struct{})}
	r.client = mustMsgTransport(t, r.net.Messenger("a"), RawNames{}, "a", testTimeouts, zerolog.Nop(), nil)
	r.client.Start(func() *Membership { return &Membership{Latest: conf("b")} })
	r.server = mustMsgTransport(t, r.net.Messenger("b"), RawNames{}, "b", testTimeouts, zerolog.Nop(), func(re *RefusedError) {
		r.mu.Lock()
		r.refusals = append(r.refusals, re)
		r.mu.Unlock()
	})
	r.server.Start(func() *Membership {
		r.mu.Lock()
		defer r.mu.Unlock()
		m := r.members
		return &m
	})
	go r.raft()
	t.Cleanup(r.close)
	return r
}

func (r *msgRig) raft() {
	for {
		var rpc raft.RPC
		select {
		case rpc = <-r.server.Consumer():
		case <-r.done:
			return
		}
		r.mu.Lock()
		blk := r.block
		r.mu.Unlock()
		if blk != nil {
			<-blk
		}
		var resp any
		var err error
		switch c := rpc.Command.(type) {
		case *raft.AppendEntriesRequest:
			last := c.PrevLogEntry
			if n := len(c.Entries); n > 0 {
				last = c.Entries[n-1].Index
			}
			resp = &raft.AppendEntriesResponse{Term: c.Term, LastLog: last, Success: true}
		case *raft.InstallSnapshotRequest:
			data, rerr := io.ReadAll(rpc.Reader)
			r.mu.Lock()
			r.snapData = data
			r.mu.Unlock()
			err = rerr
			resp = &raft.InstallSnapshotResponse{Term: c.Term, Success: rerr == nil}
		case *raft.RequestVoteRequest:
			resp = &raft.RequestVoteResponse{Term: c.Term, Granted: true}
		default:
			resp = &raft.TimeoutNowResponse{}
		}
		r.mu.Lock()
		r.got = append(r.got, rpc)
		r.mu.Unlock()
		rpc.Respond(resp, err)
	}
}

func (r *msgRig) close() {
	close(r.done)
	_ = r.client.Close()
	_ = r.server.Close()
}

func (r *msgRig) received() []raft.RPC {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]raft.RPC(nil), r.got...)
}

func entries(from uint64, n, size int) []*raft.Log {
	var out []*raft.Log
	for i := range n {
		out = append(out, &raft.Log{Index: from + uint64(i), Term: 2, Type: raft.LogCommand, Data: bytes.Repeat([]byte{byte(i)}, size)})
	}
	return out
}

// TestMsgAppendEntriesSplit: entries that exceed one message go as
// consecutive AppendEntries, each within MaxPayload and each continuing
// after the previous part's last entry; raft gets the last part's answer.
// An entry that fits no message is ErrTooLarge, not a silent stall.
func TestMsgAppendEntriesSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMsgRig(t, 1024)
		var sizes []int
		r.net.SetDrop(func(_, _ peer.ID, p []byte) bool { sizes = append(sizes, len(p)); return false })
		req := &raft.AppendEntriesRequest{RPCHeader: hdr("a"), Term: 2, PrevLogEntry: 10, PrevLogTerm: 1,
			Entries: entries(11, 20, 200), LeaderCommitIndex: 10}
		var resp raft.AppendEntriesResponse
		require.NoError(t, r.client.AppendEntries("b", "b", req, &resp))
		require.True(t, resp.Success)
		require.Equal(t, uint64(30), resp.LastLog)

		got := r.received()
		require.Greater(t, len(got), 4, "20 entries of 200 bytes cannot fit in 1 KiB messages")
		prev, n := uint64(10), 0
		for _, rpc := range got {
			ae := rpc.Command.(*raft.AppendEntriesRequest)
			require.Equal(t, prev, ae.PrevLogEntry, "a part must continue after the previous one")
			require.Equal(t, req.Entries[n].Data, ae.Entries[0].Data)
			n += len(ae.Entries)
			prev = ae.Entries[len(ae.Entries)-1].Index
		}
		require.Equal(t, 20, n)
		for _, s := range sizes {
			require.LessOrEqual(t, s, 1024)
		}

		big := &raft.AppendEntriesRequest{RPCHeader: hdr("a"), Term: 2, PrevLogEntry: 30, PrevLogTerm: 2, Entries: entries(31, 1, 2000)}
		require.ErrorIs(t, r.client.AppendEntries("b", "b", big, &resp), ErrTooLarge)
	})
}

// TestMsgSnapshotLargerThanMessage: a snapshot many times MaxPayload
// arrives intact, in chunks that each fit.
func TestMsgSnapshotLargerThanMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMsgRig(t, 1024)
		r.net.SetLatency(2 * time.Millisecond)
		data := make([]byte, 100_000)
		for i := range data {
			data[i] = byte(i * 7)
		}
		is := &raft.InstallSnapshotRequest{RPCHeader: hdr("a"), SnapshotVersion: raft.SnapshotVersionMax, Term: 2, Leader: []byte("a"),
			LastLogIndex: 90, LastLogTerm: 2, Size: int64(len(data))}
		var resp raft.InstallSnapshotResponse
		require.NoError(t, r.client.InstallSnapshot("b", "b", is, &resp, bytes.NewReader(data)))
		require.True(t, resp.Success)
		r.mu.Lock()
		require.Equal(t, data, r.snapData)
		r.mu.Unlock()
		sent, _, lost := r.net.Stats()
		require.Greater(t, sent, 2*len(data)/1024, "chunks and their acks")
		require.Zero(t, lost)
	})
}

// TestMsgLostChunkFailsTheRPC: a chunk lost on the way makes the
// InstallSnapshot fail after the snapshot timeout on both ends (raft's read
// errors, the sender's wait for an ack errors): no hang. A later snapshot
// goes through.
func TestMsgLostChunkFailsTheRPC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMsgRig(t, 1024)
		dropped := false
		r.net.SetDrop(func(_, _ peer.ID, p []byte) bool {
			if !dropped && p[1] == kindChunk {
				if m, err := decodeMsg(p); err == nil && m.offset > 5000 {
					dropped = true
					return true
				}
			}
			return false
		})
		data := bytes.Repeat([]byte{9}, 20_000)
		is := &raft.InstallSnapshotRequest{RPCHeader: hdr("a"), Term: 2, Leader: []byte("a"), Size: int64(len(data))}
		var resp raft.InstallSnapshotResponse
		start := time.Now()
		err := r.client.InstallSnapshot("b", "b", is, &resp, bytes.NewReader(data))
		require.ErrorIs(t, err, ErrRPCTimeout)
		require.LessOrEqual(t, time.Since(start), 2*testTimeouts.Snapshot)
		synctest.Wait()
		require.Len(t, r.received(), 1, "raft answered the failed install (its read failed)")
		require.NoError(t, r.client.InstallSnapshot("b", "b", is, &resp, bytes.NewReader(data)))
		require.True(t, resp.Success)
	})
}

// TestMsgLostAnswerTimesOut: a lost answer is an RPC error after the RPC's
// own timeout: a heartbeat's is HeartbeatTimeout/2-short, so raft's next
// heartbeat goes out before the follower's election timer fires.
func TestMsgLostAnswerTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMsgRig(t, 1024)
		r.net.SetDrop(func(from, _ peer.ID, _ []byte) bool { return from == "b" })
		hb := &raft.AppendEntriesRequest{RPCHeader: hdr("a"), Term: 2}
		var resp raft.AppendEntriesResponse
		start := time.Now()
		require.ErrorIs(t, r.client.AppendEntries("b", "b", hb, &resp), ErrRPCTimeout)
		require.Equal(t, testTimeouts.Heartbeat, time.Since(start))
		start = time.Now()
		var vr raft.RequestVoteResponse
		require.ErrorIs(t, r.client.RequestVote("b", "b", &raft.RequestVoteRequest{RPCHeader: hdr("a"), Term: 3}, &vr), ErrRPCTimeout)
		require.Equal(t, testTimeouts.Vote, time.Since(start))
	})
}

// TestMsgHeartbeatDoesNotWait: while raft's main loop is busy (here: held),
// heartbeats are answered through the heartbeat handler at once, and an
// AppendEntries waiting for the main loop delays none of them.
func TestMsgHeartbeatDoesNotWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMsgRig(t, 1024)
		r.net.SetLatency(time.Millisecond)
		r.server.SetHeartbeatHandler(func(rpc raft.RPC) {
			rpc.Respond(&raft.AppendEntriesResponse{Term: 2, Success: true}, nil)
		})
		hold := make(chan struct{})
		r.mu.Lock()
		r.block = hold
		r.mu.Unlock()
		go func() {
			var resp raft.AppendEntriesResponse
			req := &raft.AppendEntriesRequest{RPCHeader: hdr("a"), Term: 2, PrevLogEntry: 1, PrevLogTerm: 1, Entries: entries(2, 1, 10)}
			_ = r.client.AppendEntries("b", "b", req, &resp)
		}()
		for range 5 {
			start := time.Now()
			var resp raft.AppendEntriesResponse
			require.NoError(t, r.client.AppendEntries("b", "b", &raft.AppendEntriesRequest{RPCHeader: hdr("a"), Term: 2}, &resp))
			require.Equal(t, 2*time.Millisecond, time.Since(start), "one round trip")
		}
		close(hold)
	})
}

// TestMsgRefusals: requests from a non-member, naming another sender, or
// malformed are refused with their reasons before raft sees them; an
// answer nobody asked for is dropped (stale) from a member and refused
// from a stranger.
func TestMsgRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newMsgRig(t, 1024)
		send := func(as peer.ID, b []byte) { require.NoError(t, r.net.Impostor(as).Send("b", b)) }
		vote := func(id string) []byte {
			b, err := appendRequest(nil, 1, &raft.RequestVoteRequest{RPCHeader: hdr(id), Term: 9})
			require.NoError(t, err)
			return b
		}
		send("x", vote("x"))                                                             // not a member
		send("a", vote("q"))                                                             // names another
		send("a", []byte{msgVersion, kindRequest, 1, rpcTimeoutNow, 0xff})               // malformed
		send("a", []byte{7, 7, 7})                                                       // unknown version
		send("x", appendResponse(nil, 5, rpcTimeoutNow, &raft.TimeoutNowResponse{}, "")) // stranger's answer
		send("a", appendResponse(nil, 5, rpcTimeoutNow, &raft.TimeoutNowResponse{}, "")) // member's stale answer
		synctest.Wait()
		r.mu.Lock()
		var reasons []string
		for _, re := range r.refusals {
			reasons = append(reasons, string(re.Peer)+" "+re.Reason)
		}
		r.mu.Unlock()
		require.ElementsMatch(t, []string{"x " + RefuseNotMember, "a " + RefuseHeader, "a " + RefuseMalformed, "a " + RefuseMalformed, "x " + RefuseNotMember}, reasons)
		require.Empty(t, r.received())
		require.Equal(t, uint64(1), r.server.Drops().Stale)
	})
}

// FuzzMsgHandle: whatever a member sends, the transport neither panics nor
// hands raft anything but a well-formed request naming that member.
func FuzzMsgHandle(f *testing.F) {
	for _, m := range wireSamples() {
		f.Add(reencode(m))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		synctest.Test(t, func(t *testing.T) {
			r := newMsgRig(t, 1<<16)
			require.NoError(t, r.net.Impostor("a").Send("b", in))
			synctest.Wait()
			for _, rpc := range r.received() {
				h := headOf(rpc.Command)
				require.Equal(t, "a", string(h.ID))
			}
		})
	})
}

// mustMsgTransport is NewMsgTransport for tests.
func mustMsgTransport(tb testing.TB, m Messenger, names Names, local raft.ServerAddress, tmo MsgTimeouts, log zerolog.Logger,
	refused func(*RefusedError)) *MsgTransport {
	tb.Helper()
	mt, err := NewMsgTransport(m, names, local, tmo, log, refused)
	require.NoError(tb, err)
	return mt
}

// TestMsgTransportConfig: a messenger too small to carry raft, or a zero
// timeout, is a configuration error, not a transport that spins.
func TestMsgTransportConfig(t *testing.T) {
	_, err := NewMsgTransport(NewMemNet(1, 100).Messenger("a"), RawNames{}, "a", testTimeouts, zerolog.Nop(), nil)
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewMsgTransport(NewMemNet(1, 1024).Messenger("a"), RawNames{}, "a", MsgTimeouts{}, zerolog.Nop(), nil)
	require.ErrorIs(t, err, ErrConfig)
}
