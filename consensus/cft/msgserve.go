package cft

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
)

// dropCounts counts inbound messages dropped without a refusal (nothing a
// peer is charged for): not started yet, an answer to no RPC in flight
// (typically one that arrived after its timeout), a chunk for no snapshot
// in progress or outside the window, too many requests being served.
type dropCounts struct {
	notStarted, stale, chunk, busy atomic.Uint64
}

// MsgDrops is a snapshot of dropCounts (Status.MsgDrops).
type MsgDrops struct {
	NotStarted uint64 `json:"not_started"`
	Stale      uint64 `json:"stale"`
	Chunk      uint64 `json:"chunk"`
	Busy       uint64 `json:"busy"`
}

// Drops returns the transport's drop counters.
func (t *MsgTransport) Drops() MsgDrops {
	d := &t.drops
	return MsgDrops{NotStarted: d.notStarted.Load(), Stale: d.stale.Load(), Chunk: d.chunk.Load(), Busy: d.busy.Load()}
}

// handle is the Messenger handler. It never blocks: answers and acks go to
// the waiting call's buffered channels, chunks to a snapshot session's
// buffer, and each admitted request to its own goroutine.
//
// Authorisation (the guard on the message path): a request reaches raft
// only if its authenticated origin is a member (Membership.Admit), it
// decodes, and its RPC header names the origin (checkHead); otherwise it
// is refused with the same reasons as on streams (not-a-member,
// malformed-rpc, header-mismatch), counted and reported. Answers, acks and
// chunks are matched to what this node itself started with that origin,
// so no one else can inject them; unmatched ones from a member are dropped
// as stale, from anyone else refused as not-a-member.
func (t *MsgTransport) handle(from peer.ID, payload []byte) {
	select {
	case <-t.ready:
	case <-t.done:
		return
	default:
		t.drops.notStarted.Add(1)
		return
	}
	origin := t.names.Server(from)
	m, err := decodeMsg(payload)
	if err == nil {
		switch m.kind {
		case kindResponse, kindAck:
			if t.deliver(from, m) {
				return
			}
		case kindChunk:
			if t.chunkIn(from, m) {
				return
			}
		}
	}
	if aerr := t.members().Admit(origin); aerr != nil {
		t.refused(asRefused(aerr))
		return
	}
	switch {
	case err != nil:
		t.refused(&RefusedError{Peer: origin, Reason: RefuseMalformed, Detail: err.Error()})
		return
	case m.kind != kindRequest:
		t.drops.stale.Add(1)
		return
	}
	h := headOf(m.body)
	if err := checkHead(origin, m.rpcType, &h); err != nil {
		t.refused(asRefused(err))
		return
	}
	select {
	case t.inflight <- struct{}{}:
	default:
		t.drops.busy.Add(1)
		t.log.Debug().Str("peer", string(origin)).Str("rpc", rpcName(m.rpcType)).Msg("raft request dropped: too many in service")
		return
	}
	go func() {
		defer func() { <-t.inflight }()
		t.serve(from, m)
	}()
}

// headOf extracts what checkHead reads from a decoded request.
//
//nolint:staticcheck // Leader, Candidate: see appendBody
func headOf(body any) rpcHead {
	switch r := body.(type) {
	case *raft.AppendEntriesRequest:
		return rpcHead{RPCHeader: r.RPCHeader, Leader: r.Leader}
	case *raft.RequestVoteRequest:
		return rpcHead{RPCHeader: r.RPCHeader, Candidate: r.Candidate}
	case *raft.RequestPreVoteRequest:
		return rpcHead{RPCHeader: r.RPCHeader}
	case *raft.InstallSnapshotRequest:
		return rpcHead{RPCHeader: r.RPCHeader, Leader: r.Leader, Size: r.Size}
	case *raft.TimeoutNowRequest:
		return rpcHead{RPCHeader: r.RPCHeader}
	}
	return rpcHead{}
}

// deliver hands an answer or ack to the call it belongs to: same rpc id,
// same peer, same rpc type. False: no such call.
func (t *MsgTransport) deliver(from peer.ID, m wireMsg) bool {
	t.mu.Lock()
	c := t.calls[m.id]
	t.mu.Unlock()
	if c == nil || c.to != from {
		return false
	}
	switch {
	case m.kind == kindAck && c.acks != nil:
		select {
		case c.acks <- m.offset:
		default:
		}
	case m.kind == kindResponse && m.rpcType == c.typ:
		select {
		case c.resp <- m:
		default:
		}
	default:
		return false
	}
	return true
}

// serve hands one admitted request to raft and sends raft's answer.
func (t *MsgTransport) serve(from peer.ID, m wireMsg) {
	respCh := make(chan raft.RPCResponse, 1)
	rpc := raft.RPC{Command: m.body, RespChan: respCh}
	if m.rpcType == rpcInstallSnapshot {
		s := t.openSession(from, m.id, m.body.(*raft.InstallSnapshotRequest).Size)
		defer t.closeSession(s)
		rpc.Reader = s
		if t.m.Send(from, appendAck(nil, m.id, 0)) != nil {
			return
		}
	}
	if ae, ok := m.body.(*raft.AppendEntriesRequest); ok && isHeartbeat(ae) {
		t.hbMu.Lock()
		fn := t.hb
		t.hbMu.Unlock()
		if fn != nil {
			fn(rpc)
			t.answer(from, m, respCh)
			return
		}
	}
	select {
	case t.consume <- rpc:
	case <-t.done:
		return
	}
	t.answer(from, m, respCh)
}

func (t *MsgTransport) answer(from peer.ID, m wireMsg, respCh chan raft.RPCResponse) {
	var r raft.RPCResponse
	select {
	case r = <-respCh:
	case <-t.done:
		return
	}
	errText := ""
	if r.Error != nil {
		errText = r.Error.Error()
	}
	resp := r.Response
	if !isResponse(resp) {
		resp = nil
	}
	// A lost answer is the sender's timeout; nothing to do about an error.
	_ = t.m.Send(from, appendResponse(nil, m.id, m.rpcType, resp, errText))
}

func isResponse(v any) bool {
	switch v.(type) {
	case *raft.AppendEntriesResponse, *raft.RequestVoteResponse, *raft.RequestPreVoteResponse,
		*raft.InstallSnapshotResponse, *raft.TimeoutNowResponse:
		return true
	}
	return false
}

// snapSession is the receiving end of one InstallSnapshot: raft reads the
// snapshot from it (io.Reader) while chunks arrive. It buffers at most
// snapWindow chunks; each chunk raft consumes is acknowledged, which lets
// the sender send the next. A chunk that never arrives fails raft's read
// after MsgTimeouts.Snapshot, so raft answers with an error instead of
// waiting forever.
type snapSession struct {
	t    *MsgTransport
	from peer.ID
	id   uint64
	size uint64

	mu    sync.Mutex
	next  uint64            // offset raft reads next
	parts map[uint64][]byte // received, not yet read, by offset
	wake  chan struct{}     // size 1: a pending wake-up is enough
	done  chan struct{}     // closed when the session ends
	once  sync.Once
}

func (t *MsgTransport) openSession(from peer.ID, id uint64, size int64) *snapSession {
	s := &snapSession{t: t, from: from, id: id, size: uint64(size), parts: map[uint64][]byte{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	t.mu.Lock()
	old := t.sessions[from]
	t.sessions[from] = s
	t.mu.Unlock()
	if old != nil {
		old.end() // a sender restarts a snapshot only after giving up on the last
	}
	return s
}

func (t *MsgTransport) closeSession(s *snapSession) {
	t.mu.Lock()
	if t.sessions[s.from] == s {
		delete(t.sessions, s.from)
	}
	t.mu.Unlock()
	s.end()
}

func (s *snapSession) end() { s.once.Do(func() { close(s.done) }) }

// chunkIn buffers a chunk for the sender's session; false if there is none
// with that rpc id.
func (t *MsgTransport) chunkIn(from peer.ID, m wireMsg) bool {
	t.mu.Lock()
	s := t.sessions[from]
	t.mu.Unlock()
	if s == nil || s.id != m.id {
		return false
	}
	s.mu.Lock()
	end := m.offset + uint64(len(m.data))
	ok := m.offset >= s.next && end <= s.size && end > m.offset && len(s.parts) < snapWindow &&
		m.offset < s.next+uint64(snapWindow*snapChunkMax) && s.parts[m.offset] == nil
	if ok {
		s.parts[m.offset] = m.data
	}
	s.mu.Unlock()
	if !ok {
		t.drops.chunk.Add(1)
		return true
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

var errSnapshotEnded = errors.New("cft: snapshot transfer ended")

// Read gives raft the next snapshot bytes in order, waiting for the chunk
// that holds them at most MsgTimeouts.Snapshot.
func (s *snapSession) Read(p []byte) (int, error) {
	for {
		n, acked, eof := s.take(p)
		if n > 0 {
			if acked {
				_ = s.t.m.Send(s.from, appendAck(nil, s.id, s.offset()))
			}
			return n, nil
		}
		if eof {
			return 0, io.EOF
		}
		if err := s.await(); err != nil {
			return 0, err
		}
	}
}

func (s *snapSession) offset() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// take copies buffered bytes at next into p; acked reports that a whole
// chunk was consumed (and should be acknowledged).
func (s *snapSession) take(p []byte) (n int, acked, eof bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next >= s.size {
		return 0, false, true
	}
	part := s.parts[s.next]
	if part == nil || len(p) == 0 {
		return 0, false, false
	}
	delete(s.parts, s.next)
	n = copy(p, part)
	s.next += uint64(n)
	if n < len(part) {
		s.parts[s.next] = part[n:]
		return n, false, false
	}
	return n, true, false
}

func (s *snapSession) await() error {
	tm := time.NewTimer(s.t.tmo.Snapshot)
	defer tm.Stop()
	select {
	case <-s.wake:
		return nil
	case <-tm.C:
		return fmt.Errorf("%w: snapshot chunk at %d of %d from %s", ErrRPCTimeout, s.offset(), s.size, s.from)
	case <-s.done:
		return errSnapshotEnded
	case <-s.t.done:
		return raft.ErrTransportShutdown
	}
}
