package cft

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// guardRig is a raft NetworkTransport server behind a guard at "t" and a
// client transport at "p", on a MemNetwork; members decides who may speak.
type guardRig struct {
	mu       sync.Mutex
	members  Membership
	refusals []*RefusedError
	server   *raft.NetworkTransport
	client   *raft.NetworkTransport
	got      chan raft.RPC
	done     chan struct{}
}

func newGuardRig(_ testing.TB, n *MemNetwork, members ...raft.ServerID) *guardRig {
	return newRig(n, true, members...)
}

// newRig builds the rig with the server behind a guard or (for the
// benchmark's baseline) straight on its stream layer.
func newRig(n *MemNetwork, guarded bool, members ...raft.ServerID) *guardRig {
	r := &guardRig{members: Membership{Latest: conf(members...)}, got: make(chan raft.RPC, 16), done: make(chan struct{})}
	var stream raft.StreamLayer = n.Layer("t")
	g := newGuard(stream, func(re *RefusedError) {
		r.mu.Lock()
		r.refusals = append(r.refusals, re)
		r.mu.Unlock()
	})
	g.start(func() *Membership {
		r.mu.Lock()
		defer r.mu.Unlock()
		m := r.members
		return &m
	})
	if guarded {
		stream = g
	}
	quiet := hclog.NewNullLogger()
	r.server = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: stream, MaxPool: 1, Timeout: time.Second, Logger: quiet})
	r.client = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: n.Layer("p"), MaxPool: 1, Timeout: time.Second, Logger: quiet})
	// The "raft" behind the server: read snapshot bodies, answer success.
	go func() {
		for {
			var rpc raft.RPC
			select {
			case rpc = <-r.server.Consumer():
			case <-r.done:
				return
			}
			var resp any
			switch rpc.Command.(type) {
			case *raft.AppendEntriesRequest:
				resp = &raft.AppendEntriesResponse{Success: true}
			case *raft.InstallSnapshotRequest:
				data, _ := io.ReadAll(rpc.Reader)
				rpc.Reader = bytes.NewReader(data)
				resp = &raft.InstallSnapshotResponse{Success: true}
			default:
				resp = &raft.TimeoutNowResponse{}
			}
			r.got <- rpc
			rpc.Respond(resp, nil)
		}
	}()
	return r
}

func (r *guardRig) close() {
	close(r.done)
	_ = r.client.Close()
	_ = r.server.Close()
}

func hdr(id string) raft.RPCHeader {
	return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(id), Addr: []byte(id)}
}

// TestGuardPassesMembersExactly: a member's requests reach raft intact,
// several on one pooled connection, an InstallSnapshot's raw bytes
// included (the guard consumes exactly each request's bytes). When the
// member leaves the membership, its next request on the same connection
// is refused: membership is checked per request, not only at accept.
func TestGuardPassesMembersExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGuardRig(t, NewMemNetwork(), "p")
		defer r.close()

		entries := []*raft.Log{{Index: 7, Term: 3, Type: raft.LogCommand, Data: bytes.Repeat([]byte("e"), 3000)}}
		ae := &raft.AppendEntriesRequest{RPCHeader: hdr("p"), Term: 3, PrevLogEntry: 6, PrevLogTerm: 3, Entries: entries, LeaderCommitIndex: 6}
		var aer raft.AppendEntriesResponse
		require.NoError(t, r.client.AppendEntries("t", "t", ae, &aer))
		require.True(t, aer.Success)
		got := (<-r.got).Command.(*raft.AppendEntriesRequest)
		require.Equal(t, ae.Entries[0].Data, got.Entries[0].Data)
		require.Equal(t, ae.PrevLogEntry, got.PrevLogEntry)

		data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 20000)
		is := &raft.InstallSnapshotRequest{RPCHeader: hdr("p"), SnapshotVersion: raft.SnapshotVersionMax, Term: 3, Leader: []byte("p"),
			LastLogIndex: 9, LastLogTerm: 3, Size: int64(len(data))}
		var isr raft.InstallSnapshotResponse
		require.NoError(t, r.client.InstallSnapshot("t", "t", is, &isr, bytes.NewReader(data)))
		rpc := <-r.got
		body, _ := io.ReadAll(rpc.Reader)
		require.Equal(t, data, body)

		// Another request after the snapshot body on the pooled connection.
		var tr raft.TimeoutNowResponse
		require.NoError(t, r.client.TimeoutNow("t", "t", &raft.TimeoutNowRequest{RPCHeader: hdr("p")}, &tr))
		<-r.got
		require.NoError(t, r.client.AppendEntries("t", "t", ae, &aer))
		<-r.got
		require.Empty(t, r.refusals)

		r.mu.Lock()
		r.members = Membership{Latest: conf("q")}
		r.mu.Unlock()
		require.Error(t, r.client.AppendEntries("t", "t", ae, &aer))
		synctest.Wait()
		require.Len(t, r.refusals, 1)
		require.Equal(t, RefuseNotMember, r.refusals[0].Reason)
		require.Empty(t, r.got, "the refused request reached raft")
	})
}

// TestGuardRefusesMalformed: bytes that are not a raft request from a
// member are refused before raft sees them, and reported; a request cut
// short by the connection ending is not.
func TestGuardRefusesMalformed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewMemNetwork()
		r := newGuardRig(t, n, "p")
		defer r.close()
		for _, junk := range [][]byte{{9, 0x80}, {rpcAppendEntries, 0xc1}, {rpcTimeoutNow, 0x81, 0xa2, 'I', 'D', 0x05}} {
			c, err := n.DialAs("p", "t", time.Second)
			require.NoError(t, err)
			_, err = c.Write(junk)
			require.NoError(t, err)
			_, err = c.Read(make([]byte, 1))
			require.Error(t, err)
			require.NoError(t, c.Close())
		}
		// A connection that ends mid-request is a failure, not a fault.
		c, err := n.DialAs("p", "t", time.Second)
		require.NoError(t, err)
		_, err = c.Write([]byte{rpcTimeoutNow, 0x81, 0xa2})
		require.NoError(t, err)
		require.NoError(t, c.Close())
		synctest.Wait()
		require.Len(t, r.refusals, 3)
		for _, re := range r.refusals {
			require.Equal(t, RefuseMalformed, re.Reason, "%v", re)
		}
		require.Empty(t, r.got)
	})
}

// BenchmarkGuard measures one AppendEntries round trip carrying one
// signed block entry (the size a node's leader sends per block) on the
// in-memory network, with the server behind the guard and without it:
// the difference is the guard's decode and checks per request.
func BenchmarkGuard(b *testing.B) {
	for _, guarded := range []bool{false, true} {
		b.Run(map[bool]string{false: "unguarded", true: "guarded"}[guarded], func(b *testing.B) {
			r := newRig(NewMemNetwork(), guarded, "p")
			defer r.close()
			go func() {
				for {
					select {
					case <-r.got:
					case <-r.done:
						return
					}
				}
			}()
			data := bytes.Repeat([]byte("e"), 2+281+1)
			ae := &raft.AppendEntriesRequest{RPCHeader: hdr("p"), Term: 3, PrevLogEntry: 6, PrevLogTerm: 3,
				Entries: []*raft.Log{{Index: 7, Term: 3, Type: raft.LogCommand, Data: data}}, LeaderCommitIndex: 6}
			var resp raft.AppendEntriesResponse
			b.ReportAllocs()
			for b.Loop() {
				if err := r.client.AppendEntries("t", "t", ae, &resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bytesConn is a PeerConn reading from fixed bytes, for the fuzz target.
type bytesConn struct {
	net.Conn
	r *bytes.Reader
}

func (c *bytesConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *bytesConn) Peer() raft.ServerID        { return "p" }
func (c *bytesConn) Reset() error               { return nil }

// FuzzGuardRequest: whatever a member sends, the guard does not panic, and
// what it hands raft is exactly a prefix of what was sent.
func FuzzGuardRequest(f *testing.F) {
	var b bytes.Buffer
	enc := codec.NewEncoder(&b, &codec.MsgpackHandle{})
	b.WriteByte(rpcTimeoutNow)
	if err := enc.Encode(&raft.TimeoutNowRequest{RPCHeader: hdr("p")}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte{rpcAppendEntries, 0xc1})
	f.Fuzz(func(t *testing.T, in []byte) {
		g := newGuard(nil, func(*RefusedError) {})
		g.start(func() *Membership { return &Membership{Latest: conf("p")} })
		c := newGuardConn(&bytesConn{r: bytes.NewReader(in)}, g)
		out, err := io.ReadAll(io.LimitReader(c, int64(len(in))+1))
		if err != nil && !errors.Is(err, ErrRefused) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Logf("read error %v", err)
		}
		require.True(t, bytes.HasPrefix(in, out), "the guard handed raft bytes that were not sent")
	})
}
