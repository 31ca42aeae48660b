package cft

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
)

// Errors of the message transport, besides ErrMalformed and RefusedError.
var (
	// ErrRPCTimeout: no answer to a raft RPC (or to a snapshot chunk)
	// within its timeout: the request, the answer or a chunk was lost, or
	// the peer is down or partitioned away. Raft retries.
	ErrRPCTimeout = errors.New("cft: raft rpc timed out")
	// ErrTooLarge: a single raft log entry does not fit in one message
	// (Messenger.MaxPayload), so AppendEntries cannot carry it.
	ErrTooLarge = errors.New("cft: raft entry larger than a message")
	// ErrRemote wraps the error text a peer's raft answered with.
	ErrRemote = errors.New("cft: peer's raft answered with an error")
)

// MsgTimeouts are the message transport's per-RPC timeouts. Each RPC waits
// only for its own answer (no stream is shared), so a heartbeat never
// waits behind an AppendEntries or a snapshot chunk.
type MsgTimeouts struct {
	// Heartbeat bounds a heartbeat's round trip. Raft sends the next
	// heartbeat to a follower only when the previous one returned, so a
	// lost one must fail well before the follower's election timer
	// (HeartbeatTimeout, randomised up to 2×) fires: HeartbeatTimeout/2.
	Heartbeat time.Duration
	// Vote bounds RequestVote, RequestPreVote and TimeoutNow: an election
	// round lasts ElectionTimeout, so an answer later than that is useless.
	Vote time.Duration
	// Append bounds each AppendEntries message carrying entries: raft
	// backs off and retries on failure, so a lost message stalls that
	// follower's replication this long. ElectionTimeout.
	Append time.Duration
	// Snapshot bounds every wait of an InstallSnapshot: the receiver's
	// ready ack, each chunk ack (a lost chunk fails the RPC after this
	// long), and the final answer after the last chunk (raft restores the
	// snapshot before it answers). Config.RPCTimeout.
	Snapshot time.Duration
}

// msgTimeouts derives the timeouts from the engine's raft settings.
func (c *Config) msgTimeouts() MsgTimeouts {
	return MsgTimeouts{Heartbeat: c.HeartbeatTimeout / 2, Vote: c.ElectionTimeout, Append: c.ElectionTimeout, Snapshot: c.RPCTimeout}
}

// Snapshot transfer: chunks of at most snapChunkMax bytes (smaller when
// the messenger's MaxPayload is), at most snapWindow of them unacknowledged.
// 16 KiB keeps a chunk from holding the consensus lane long enough to
// delay a heartbeat noticeably; the window covers a few round trips.
const (
	snapChunkMax = 16 << 10
	snapWindow   = 4
	// maxInflight bounds inbound requests being served (each waits for
	// raft's answer in its own goroutine); beyond it requests are dropped
	// and counted, and their senders time out.
	maxInflight = 256
)

// MsgTransport is raft's Transport over a Messenger: each RPC is one
// request message and one response message matched by an rpc id,
// AppendEntries is split into several RPCs when its entries exceed one
// message, and InstallSnapshot streams the snapshot in acknowledged
// chunks. Inbound requests pass the guard (Membership and checkHead)
// before raft sees them. Pipelining is not offered
// (raft.ErrPipelineReplicationNotSupported): see docs/benchmarks.md.
type MsgTransport struct {
	m       Messenger
	names   Names
	local   raft.ServerAddress
	tmo     MsgTimeouts
	log     zerolog.Logger
	refused func(*RefusedError)
	chunk   int // snapshot chunk size

	members func() *Membership
	ready   chan struct{} // closed by start: raft is open, members is set

	consume  chan raft.RPC
	hbMu     sync.Mutex
	hb       func(raft.RPC)
	inflight chan struct{}

	ids      atomic.Uint64
	mu       sync.Mutex
	calls    map[uint64]*call
	sessions map[peer.ID]*snapSession

	done chan struct{}
	once sync.Once

	drops dropCounts
}

var (
	_ raft.Transport   = (*MsgTransport)(nil)
	_ raft.WithClose   = (*MsgTransport)(nil)
	_ raft.WithPreVote = (*MsgTransport)(nil)
)

// MinMaxPayload is the smallest Messenger.MaxPayload the transport
// accepts. A message must also hold the largest raft log entry with an
// AppendEntries header (the server ids three times): a signed block entry
// under peer-id names needs about 600 bytes, so a node's messenger should
// offer several KiB.
const MinMaxPayload = 256

// NewMsgTransport returns a transport for the raft server at local. It
// sets m's handler. refused is told about every refused request (nil:
// none); Start must be called once raft is open, before which inbound
// traffic is dropped (raft retries). Errors wrap ErrConfig.
func NewMsgTransport(m Messenger, names Names, local raft.ServerAddress, tmo MsgTimeouts, log zerolog.Logger,
	refused func(*RefusedError)) (*MsgTransport, error) {
	if mp := m.MaxPayload(); mp < MinMaxPayload {
		return nil, fmt.Errorf("%w: messenger MaxPayload %d is below %d", ErrConfig, mp, MinMaxPayload)
	}
	if tmo.Heartbeat <= 0 || tmo.Vote <= 0 || tmo.Append <= 0 || tmo.Snapshot <= 0 {
		return nil, fmt.Errorf("%w: message timeouts %+v must be positive", ErrConfig, tmo)
	}
	if names == nil {
		names = PeerIDNames{}
	}
	if refused == nil {
		refused = func(*RefusedError) {}
	}
	t := &MsgTransport{
		m: m, names: names, local: local, tmo: tmo, log: log, refused: refused,
		chunk: min(snapChunkMax, m.MaxPayload()-msgOverhead),
		ready: make(chan struct{}), consume: make(chan raft.RPC), inflight: make(chan struct{}, maxInflight),
		calls: map[uint64]*call{}, sessions: map[peer.ID]*snapSession{}, done: make(chan struct{}),
	}
	// Ids start at a random point so that answers addressed to an earlier
	// incarnation of this server (before a restart) match no call of this
	// one: an old AppendEntries success taken for a new one would make
	// raft's leader overestimate a follower's log.
	var seed [8]byte
	_, _ = crand.Read(seed[:]) // never fails (crypto/rand docs)
	t.ids.Store(binary.LittleEndian.Uint64(seed[:]))
	m.SetHandler(t.handle)
	return t, nil
}

// Start sets the membership inbound requests are checked against and
// starts admitting them.
func (t *MsgTransport) Start(members func() *Membership) {
	t.members = members
	close(t.ready)
}

// Consumer is raft's inbound RPC channel (unbuffered, as raft's own
// transports: a request waits in its serving goroutine).
func (t *MsgTransport) Consumer() <-chan raft.RPC { return t.consume }

// LocalAddr is this server's raft address.
func (t *MsgTransport) LocalAddr() raft.ServerAddress { return t.local }

// AppendEntriesPipeline is not supported: raft then replicates with one
// AppendEntries in flight per follower (see docs/benchmarks.md for why
// that costs nothing measurable at the block rate).
func (t *MsgTransport) AppendEntriesPipeline(raft.ServerID, raft.ServerAddress) (raft.AppendPipeline, error) {
	return nil, raft.ErrPipelineReplicationNotSupported
}

// EncodePeer encodes a server address as its bytes.
func (t *MsgTransport) EncodePeer(_ raft.ServerID, addr raft.ServerAddress) []byte {
	return []byte(addr)
}

// DecodePeer is EncodePeer's inverse.
func (t *MsgTransport) DecodePeer(b []byte) raft.ServerAddress { return raft.ServerAddress(b) }

// SetHeartbeatHandler sets raft's heartbeat fast path: heartbeats are
// handed to cb directly instead of waiting for raft's main loop.
func (t *MsgTransport) SetHeartbeatHandler(cb func(raft.RPC)) {
	t.hbMu.Lock()
	t.hb = cb
	t.hbMu.Unlock()
}

// Close fails every RPC in flight with raft.ErrTransportShutdown and drops
// whatever arrives later. The messenger stays the caller's.
func (t *MsgTransport) Close() error {
	t.once.Do(func() { close(t.done) })
	return nil
}

// call is one RPC in flight: its answer arrives on resp, a snapshot's
// chunk acks on acks. Both are buffered and written without blocking.
type call struct {
	to   peer.ID
	typ  byte
	resp chan wireMsg // size 1: one answer per request
	acks chan uint64  // size snapWindow+1: acks beyond that are stale anyway
}

func (t *MsgTransport) newCall(to peer.ID, typ byte) (uint64, *call) {
	c := &call{to: to, typ: typ, resp: make(chan wireMsg, 1)}
	if typ == rpcInstallSnapshot {
		c.acks = make(chan uint64, snapWindow+1)
	}
	id := t.ids.Add(1)
	if id == 0 { // 0 is not an rpc id on the wire
		id = t.ids.Add(1)
	}
	t.mu.Lock()
	t.calls[id] = c
	t.mu.Unlock()
	return id, c
}

func (t *MsgTransport) endCall(id uint64) {
	t.mu.Lock()
	delete(t.calls, id)
	t.mu.Unlock()
}

func (t *MsgTransport) send(to peer.ID, msg []byte) error {
	if err := t.m.Send(to, msg); err != nil {
		return fmt.Errorf("cft: send to %s: %w", to, err)
	}
	return nil
}

// wait waits for c's answer, at most d.
func (t *MsgTransport) wait(c *call, what string, d time.Duration) (wireMsg, error) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case m := <-c.resp:
		if m.errText != "" {
			return m, fmt.Errorf("%w: %s: %s", ErrRemote, what, m.errText)
		}
		return m, nil
	case <-tm.C:
		return wireMsg{}, fmt.Errorf("%w: %s to %s after %v", ErrRPCTimeout, what, c.to, d)
	case <-t.done:
		return wireMsg{}, raft.ErrTransportShutdown
	}
}

// roundTrip sends one request to target and waits for its answer, which it
// copies into resp (a pointer to the matching raft response type).
func (t *MsgTransport) roundTrip(target raft.ServerAddress, req, resp any, d time.Duration) error {
	to, err := t.names.Peer(target)
	if err != nil {
		return err
	}
	typ, _ := requestType(req)
	id, c := t.newCall(to, typ)
	defer t.endCall(id)
	msg, err := appendRequest(nil, id, req)
	if err != nil {
		return err
	}
	if len(msg) > t.m.MaxPayload() {
		return fmt.Errorf("%w: %s of %d bytes, max %d", ErrTooLarge, rpcName(typ), len(msg), t.m.MaxPayload())
	}
	if err := t.send(to, msg); err != nil {
		return err
	}
	m, err := t.wait(c, rpcName(typ), d)
	if err != nil {
		return err
	}
	return copyResponse(resp, m.body)
}

// copyResponse stores the decoded response body in raft's response value.
func copyResponse(dst, src any) error {
	switch d := dst.(type) {
	case *raft.AppendEntriesResponse:
		*d = *src.(*raft.AppendEntriesResponse)
	case *raft.RequestVoteResponse:
		*d = *src.(*raft.RequestVoteResponse)
	case *raft.RequestPreVoteResponse:
		*d = *src.(*raft.RequestPreVoteResponse)
	case *raft.InstallSnapshotResponse:
		*d = *src.(*raft.InstallSnapshotResponse)
	case *raft.TimeoutNowResponse:
		*d = *src.(*raft.TimeoutNowResponse)
	default:
		return fmt.Errorf("cft: unexpected response type %T", dst)
	}
	return nil
}

// isHeartbeat is raft's own test (net_transport.go): the heartbeat
// goroutine sends AppendEntries with nothing but term and sender.
//
//nolint:staticcheck // Leader: see appendBody
func isHeartbeat(a *raft.AppendEntriesRequest) bool {
	return a.Term != 0 && (len(a.Addr) > 0 || len(a.Leader) > 0) && a.PrevLogEntry == 0 && a.PrevLogTerm == 0 &&
		len(a.Entries) == 0 && a.LeaderCommitIndex == 0
}

// AppendEntries sends args, as several AppendEntries RPCs in order if its
// entries do not fit in one message: each part continues the log after the
// previous part's last entry, and the first failure (an error, a newer
// term, Success false) is what raft gets, so raft's view of the follower
// stays conservative. A single entry larger than a message is ErrTooLarge.
func (t *MsgTransport) AppendEntries(_ raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest,
	resp *raft.AppendEntriesResponse) error {
	d := t.tmo.Append
	if isHeartbeat(args) {
		d = t.tmo.Heartbeat
	}
	parts, err := splitEntries(args, t.m.MaxPayload())
	if err != nil {
		return err
	}
	for i, p := range parts {
		if err := t.roundTrip(target, p, resp, d); err != nil {
			return err
		}
		if !resp.Success || i == len(parts)-1 {
			return nil
		}
	}
	return nil
}

// splitEntries returns args itself when it fits in max bytes, otherwise
// copies of it whose entries are consecutive runs that each fit.
func splitEntries(args *raft.AppendEntriesRequest, max int) ([]*raft.AppendEntriesRequest, error) {
	bare := *args
	bare.Entries = nil
	room := max - msgOverhead - len(appendBody(nil, &bare))
	total := 0
	sizes := make([]int, len(args.Entries))
	for i, l := range args.Entries {
		sizes[i] = len(appendLog(nil, l))
		if sizes[i] > room {
			return nil, fmt.Errorf("%w: entry %d of %d bytes, room %d", ErrTooLarge, l.Index, sizes[i], room)
		}
		total += sizes[i]
	}
	if total <= room {
		return []*raft.AppendEntriesRequest{args}, nil
	}
	var parts []*raft.AppendEntriesRequest
	prevIdx, prevTerm := args.PrevLogEntry, args.PrevLogTerm
	for start := 0; start < len(args.Entries); {
		end, used := start, 0
		for end < len(args.Entries) && used+sizes[end] <= room {
			used += sizes[end]
			end++
		}
		p := bare
		p.PrevLogEntry, p.PrevLogTerm, p.Entries = prevIdx, prevTerm, args.Entries[start:end]
		last := args.Entries[end-1]
		prevIdx, prevTerm = last.Index, last.Term
		parts = append(parts, &p)
		start = end
	}
	return parts, nil
}

// RequestVote sends a vote request.
func (t *MsgTransport) RequestVote(_ raft.ServerID, target raft.ServerAddress, args *raft.RequestVoteRequest,
	resp *raft.RequestVoteResponse) error {
	return t.roundTrip(target, args, resp, t.tmo.Vote)
}

// RequestPreVote sends a pre-vote request.
func (t *MsgTransport) RequestPreVote(_ raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest,
	resp *raft.RequestPreVoteResponse) error {
	return t.roundTrip(target, args, resp, t.tmo.Vote)
}

// TimeoutNow asks target to campaign at once (leadership transfer).
func (t *MsgTransport) TimeoutNow(_ raft.ServerID, target raft.ServerAddress, args *raft.TimeoutNowRequest,
	resp *raft.TimeoutNowResponse) error {
	return t.roundTrip(target, args, resp, t.tmo.Vote)
}

// InstallSnapshot sends the request, waits for the receiver's ready ack,
// streams args.Size bytes of data in chunks with at most snapWindow
// unacknowledged, and waits for raft's answer. Any lost message fails the
// RPC after MsgTimeouts.Snapshot; chunks are not retransmitted (raft
// retries the whole snapshot).
func (t *MsgTransport) InstallSnapshot(_ raft.ServerID, target raft.ServerAddress, args *raft.InstallSnapshotRequest,
	resp *raft.InstallSnapshotResponse, data io.Reader) error {
	if args.Size < 0 {
		return fmt.Errorf("cft: snapshot size %d", args.Size)
	}
	to, err := t.names.Peer(target)
	if err != nil {
		return err
	}
	id, c := t.newCall(to, rpcInstallSnapshot)
	defer t.endCall(id)
	msg, _ := appendRequest(nil, id, args)
	if err := t.send(to, msg); err != nil {
		return err
	}
	_, err = t.waitAck(c, 0)
	if err == nil {
		err = t.streamSnapshot(to, id, c, uint64(args.Size), data)
	}
	if err != nil && !errors.Is(err, errAnswered) {
		return err
	}
	m, err := t.wait(c, "InstallSnapshot", t.tmo.Snapshot)
	if err != nil {
		return err
	}
	return copyResponse(resp, m.body)
}

func (t *MsgTransport) streamSnapshot(to peer.ID, id uint64, c *call, size uint64, data io.Reader) error {
	buf := make([]byte, t.chunk)
	var sent, acked uint64
	for acked < size {
		for sent < size && sent-acked < uint64(snapWindow*t.chunk) {
			n := int(min(uint64(t.chunk), size-sent))
			if _, err := io.ReadFull(data, buf[:n]); err != nil {
				return fmt.Errorf("cft: read snapshot at %d of %d: %w", sent, size, err)
			}
			if err := t.send(to, appendChunk(nil, id, sent, buf[:n])); err != nil {
				return err
			}
			sent += uint64(n)
		}
		a, err := t.waitAck(c, acked)
		if err != nil {
			return err
		}
		acked = max(acked, a)
	}
	return nil
}

// errAnswered: raft answered the InstallSnapshot while chunks were still
// being acknowledged.
var errAnswered = errors.New("cft: snapshot answered")

// waitAck waits for an ack of more than after bytes (or the ready ack when
// after is 0 and nothing was sent), at most MsgTimeouts.Snapshot.
func (t *MsgTransport) waitAck(c *call, after uint64) (uint64, error) {
	tm := time.NewTimer(t.tmo.Snapshot)
	defer tm.Stop()
	for {
		select {
		case a := <-c.acks:
			if a > after || (after == 0 && a == 0) {
				return a, nil
			}
		case m := <-c.resp:
			// Raft answered: after the last chunk this can overtake the
			// last ack; before it, raft failed. Either way the answer is
			// the outcome: leave it for the caller's final wait.
			select {
			case c.resp <- m:
			default: // a duplicate answer refilled it: either will do
			}
			return 0, errAnswered
		case <-tm.C:
			return 0, fmt.Errorf("%w: snapshot ack from %s after %d bytes", ErrRPCTimeout, c.to, after)
		case <-t.done:
			return 0, raft.ErrTransportShutdown
		}
	}
}
