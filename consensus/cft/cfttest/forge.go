// Package cfttest forges the raft RPCs an attacker would send to a
// producer, for acceptance tests of whatever carries raft. Over streams a
// test supplies a Dial function that returns "a connection to a
// producer's raft endpoint as peer X"; Attack speaks hashicorp/raft's own
// NetworkTransport client over it. Over messages (consensus/cft's
// MsgTransport on a Messenger) a test supplies a raft.Transport whose
// messages leave as origin X (AttackTransport). Either way the bytes are
// exactly what raft sends, with the sender fields an attacker chooses.
//
// It imports nothing of consensus/cft (whose in-package tests use it), so
// the raft log entry is hand-encoded from the wire format in
// docs/protocol.md, as an attacker would.
package cfttest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/blockwire/blockwire/chain/block"
)

// Dial returns a connection to the raft endpoint at target, authenticated
// by the transport as the attacking peer.
type Dial func(target raft.ServerAddress, timeout time.Duration) (net.Conn, error)

// Forgery is what the attacker claims and aims at.
type Forgery struct {
	// As is the sender the RPC headers name (normally the attacker's own
	// peer id: the guard refuses by role, whatever the header says).
	As raft.ServerID
	// Term is the term claimed (higher than the cluster's).
	Term uint64
	// PrevIndex and PrevTerm are the target's last log index and term, so
	// an unguarded follower takes the forged entry after them.
	PrevIndex, PrevTerm uint64
	// Parent is the last committed block; the forged block entry names a
	// block on it that no producer built.
	Parent block.ID
}

// Forged is the block id the forged AppendEntries tries to commit.
func (f *Forgery) Forged() block.ID {
	h := block.Header{Height: f.Parent.Height() + 1, Parent: f.Parent, Term: f.Term, Timestamp: 1}
	return h.ID()
}

// Kinds are the RPCs Attack sends, in order.
var Kinds = []string{"AppendEntries", "RequestVote", "RequestPreVote", "TimeoutNow", "InstallSnapshot"}

// Attack sends each kind of forged RPC to target over a raft
// NetworkTransport that dials with dial, one fresh connection per RPC, and
// returns each RPC's error by kind (nil: the target answered, which a
// guarded producer must never do for a non-member).
func Attack(dial Dial, target raft.ServerAddress, f Forgery) map[string]error {
	return AttackTransport(func() raft.Transport {
		return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream: &dialOnly{dial: dial, done: make(chan struct{})}, MaxPool: 1, Timeout: 5 * time.Second,
			Logger: hclog.NewNullLogger(),
		})
	}, target, f)
}

// AttackTransport is Attack over any raft client transport: newTrans
// returns a fresh one (closed after its RPC if it implements
// raft.WithClose) whose traffic the carrier
// authenticates as the attacking peer.
func AttackTransport(newTrans func() raft.Transport, target raft.ServerAddress, f Forgery) map[string]error {
	out := map[string]error{}
	for _, kind := range Kinds {
		trans := newTrans()
		out[kind] = f.send(trans, kind, target)
		if c, ok := trans.(raft.WithClose); ok {
			_ = c.Close()
		}
	}
	return out
}

func (f *Forgery) header() raft.RPCHeader {
	return raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(f.As), Addr: []byte(f.As)}
}

func (f *Forgery) send(trans raft.Transport, kind string, target raft.ServerAddress) error {
	id, me := raft.ServerID(target), []byte(f.As)
	switch kind {
	case "AppendEntries":
		entry := &raft.Log{Index: f.PrevIndex + 1, Term: f.Term, Type: raft.LogCommand, Data: f.entryData()}
		//nolint:staticcheck // Leader is deprecated, but raft still reads it when Addr is empty, and raft itself still fills it.
		req := &raft.AppendEntriesRequest{RPCHeader: f.header(), Term: f.Term, Leader: me,
			PrevLogEntry: f.PrevIndex, PrevLogTerm: f.PrevTerm, Entries: []*raft.Log{entry}, LeaderCommitIndex: entry.Index}
		var resp raft.AppendEntriesResponse
		return trans.AppendEntries(id, target, req, &resp)
	case "RequestVote":
		req := &raft.RequestVoteRequest{RPCHeader: f.header(), Term: f.Term, LastLogIndex: f.PrevIndex + 1000, LastLogTerm: f.Term}
		var resp raft.RequestVoteResponse
		return trans.RequestVote(id, target, req, &resp)
	case "RequestPreVote":
		req := &raft.RequestPreVoteRequest{RPCHeader: f.header(), Term: f.Term, LastLogIndex: f.PrevIndex + 1000, LastLogTerm: f.Term}
		var resp raft.RequestPreVoteResponse
		pv, ok := trans.(raft.WithPreVote)
		if !ok {
			return fmt.Errorf("cfttest: %T has no RequestPreVote", trans)
		}
		return pv.RequestPreVote(id, target, req, &resp)
	case "TimeoutNow":
		var resp raft.TimeoutNowResponse
		return trans.TimeoutNow(id, target, &raft.TimeoutNowRequest{RPCHeader: f.header()}, &resp)
	case "InstallSnapshot":
		conf := raft.Configuration{Servers: []raft.Server{{ID: f.As, Address: raft.ServerAddress(f.As), Suffrage: raft.Voter}}}
		data := bytes.Repeat([]byte{0xAB}, 4096)
		req := &raft.InstallSnapshotRequest{RPCHeader: f.header(), SnapshotVersion: raft.SnapshotVersionMax, Term: f.Term,
			Leader: me, LastLogIndex: f.PrevIndex + 1000, LastLogTerm: f.Term, Configuration: raft.EncodeConfiguration(conf),
			ConfigurationIndex: f.PrevIndex + 1000, Size: int64(len(data))}
		var resp raft.InstallSnapshotResponse
		return trans.InstallSnapshot(id, target, req, &resp, bytes.NewReader(data))
	}
	return fmt.Errorf("cfttest: unknown kind %q", kind)
}

// entryData hand-encodes consensus/cft's raft log command, version 1: a
// well-formed block entry for Forged on Parent with no changes.
func (f *Forgery) entryData() []byte {
	id, hash := f.Forged(), block.Hash{}
	b := []byte{1, 1}
	b = append(b, id[:]...)
	b = append(b, f.Parent[:]...)
	b = append(b, hash[:]...)
	return binary.AppendUvarint(b, 0)
}

// dialOnly is a raft.StreamLayer that only dials: the attacker registers
// no raft protocol of its own; Accept waits for Close.
type dialOnly struct {
	dial Dial
	done chan struct{}
	once sync.Once
}

func (d *dialOnly) Dial(a raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return d.dial(a, timeout)
}

func (d *dialOnly) Accept() (net.Conn, error) {
	<-d.done
	return nil, net.ErrClosed
}

func (d *dialOnly) Close() error {
	d.once.Do(func() { close(d.done) })
	return nil
}

func (*dialOnly) Addr() net.Addr { return addr("attacker") }

type addr string

func (a addr) Network() string { return "cfttest" }
func (a addr) String() string  { return string(a) }
