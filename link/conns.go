package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	msmux "github.com/multiformats/go-multistream"
)

// pendingConn gathers the lane streams a dialer opens for one link, on
// one connection or, with a bulk connection (bulkconn.go), two.
type pendingConn struct {
	streams [NumLanes]laneStream
	conns   [NumLanes]network.Conn
	n       int
	timer   *time.Timer
	refused bool // on another chain (chainid.go): no session, no record of its own
}

// pendKey names a link being set up: its dialer and the link id the
// dialer put in every lane preamble.
type pendKey struct {
	peer PeerID
	id   uint64
}

// setupStream is a lane stream while it is being opened.
type setupStream interface {
	laneStream
	SetDeadline(time.Time) error
	Reset() error
}

// connected runs for every new libp2p connection. The side that dialed
// opens the consensus and routing lanes on that very connection, so a link
// is bound to one connection and duplicates can be pruned by connection;
// the blocks and sync lanes go on a second connection that the link owns
// (bulkconn.go), or on the same one if that cannot be had.
func (hst *Host) connected(c network.Conn) {
	if c.Stat().Direction != network.DirOutbound || hst.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(hst.ctx, hst.cfg.Conn.HandshakeTimeout)
	defer cancel()
	id := hst.linkID()
	var streams [NumLanes]laneStream
	var bulk *bulkConn
	fail := func(err error) {
		for _, s := range streams {
			if s != nil {
				_ = s.(setupStream).Reset()
			}
		}
		if bulk != nil {
			bulk.close()
		}
		hst.log.Debug().Err(err).Str("peer", c.RemotePeer().String()).Msg("opening lanes failed")
		if hst.ctx.Err() == nil {
			hst.setupEnded(c.RemotePeer(), hst.setupError(c.RemotePeer(), ReasonTransport, err.Error()))
		}
	}
	for l := range Lane(NumLanes) {
		if l == LaneBlocks && hst.cfg.Conn.BulkConn {
			b, err := hst.dialBulk(ctx, c)
			if err != nil {
				hst.log.Info().Err(err).Str("peer", c.RemotePeer().String()).Msg("no bulk connection: blocks and sync share the link's connection")
			}
			bulk = b
		}
		var st setupStream
		var err error
		if bulk != nil && l.bulk() {
			st, err = hst.openBulkLane(ctx, bulk, l, id)
		} else {
			st, err = hst.openLane(ctx, c, l, id)
		}
		if err != nil {
			fail(err)
			return
		}
		streams[l] = st
		if l != LaneConsensus {
			continue
		}
		// The chain check comes first (one round trip): a peer on another
		// chain resets the other lanes, which would hide why.
		if err := hst.checkChain(ctx, c, st.(network.Stream)); err != nil {
			_ = st.Reset()
			if ReasonOf(err) != ReasonWrongChain && hst.ctx.Err() == nil {
				hst.setupEnded(c.RemotePeer(), hst.setupError(c.RemotePeer(), ReasonTransport, err.Error()))
			}
			_ = c.Close()
			return
		}
	}
	hst.startSession(c, bulk, streams)
}

// linkID draws the id that binds a new link's lane streams.
func (hst *Host) linkID() uint64 {
	hst.randMu.Lock()
	defer hst.randMu.Unlock()
	return hst.rnd.Uint64()
}

func (hst *Host) openLane(ctx context.Context, c network.Conn, l Lane, id uint64) (setupStream, error) {
	st, err := c.NewStream(ctx)
	if err != nil {
		return nil, fmt.Errorf("link: open %s stream: %w", l, err)
	}
	if err := st.SetProtocol(ProtocolID); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("link: %s stream protocol: %w", l, err)
	}
	return hst.startLane(ctx, st, l, id)
}

func (hst *Host) openBulkLane(ctx context.Context, b *bulkConn, l Lane, id uint64) (setupStream, error) {
	st, err := b.newStream(ctx)
	if err != nil {
		return nil, fmt.Errorf("link: open %s stream: %w", l, err)
	}
	return hst.startLane(ctx, st, l, id)
}

// startLane negotiates the protocol on a new stream and writes its
// preamble.
func (hst *Host) startLane(ctx context.Context, st setupStream, l Lane, id uint64) (setupStream, error) {
	dl, _ := ctx.Deadline()
	_ = st.SetDeadline(dl)
	if err := msmux.SelectProtoOrFail(ProtocolID, st); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("link: negotiate %s stream: %w", l, err)
	}
	pre := appendLanePreamble(nil, l, id)
	if l == LaneConsensus {
		pre = append(pre, hst.cfg.ChainID[:]...) // chainid.go
	}
	if _, err := st.Write(pre); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("link: %s preamble: %w", l, err)
	}
	_ = st.SetDeadline(time.Time{})
	return st, nil
}

// handleStream accepts one lane stream from a peer that dialed us.
func (hst *Host) handleStream(st network.Stream) {
	c := st.Conn()
	_ = st.SetReadDeadline(time.Now().Add(hst.cfg.Conn.HandshakeTimeout))
	var pre [lanePreambleLen]byte
	if _, err := io.ReadFull(st, pre[:preambleLen]); err != nil {
		_ = st.Reset()
		return
	}
	l, err := parsePreamble([preambleLen]byte(pre[:preambleLen]))
	if err == nil { // the link id follows a valid preamble
		if _, err := io.ReadFull(st, pre[preambleLen:]); err != nil {
			_ = st.Reset()
			return
		}
	}
	_ = st.SetReadDeadline(time.Time{})
	_, id, _ := parseLanePreamble(pre)
	if err == nil && c.Stat().Direction != network.DirInbound {
		err = fault(ReasonProtocol, "lane stream opened by the listening side")
	}
	if err != nil {
		f, ok := errors.AsType[*peerFault](err)
		if !ok { // parsePreamble returns only faults; keep a reason if that changes
			f = &peerFault{reason: ReasonProtocol, detail: err.Error()}
		}
		hst.streamFault(st, f)
		return
	}
	refused := l == LaneConsensus && !hst.acceptChain(st) // chainid.go
	key := pendKey{peer: c.RemotePeer(), id: id}
	hst.pendingMu.Lock()
	pc := hst.pending[key]
	if pc == nil {
		pc = &pendingConn{}
		pc.timer = time.AfterFunc(hst.cfg.Conn.HandshakeTimeout, func() { hst.handshakeTimeout(key) })
		hst.pending[key] = pc
	}
	if refused || pc.refused {
		pc.refused = true
		hst.pendingMu.Unlock()
		if !refused { // the consensus stream carries our answer: closed with the connection
			_ = st.Reset()
		}
		return
	}
	if pc.streams[l] != nil {
		hst.pendingMu.Unlock()
		hst.streamFault(st, &peerFault{reason: ReasonProtocol, detail: "second stream for lane " + l.String()})
		return
	}
	pc.streams[l], pc.conns[l] = st, c
	pc.n++
	if pc.n < NumLanes {
		hst.pendingMu.Unlock()
		return
	}
	delete(hst.pending, key)
	pc.timer.Stop()
	hst.pendingMu.Unlock()
	hst.startInbound(pc)
}

// startInbound starts the session of a link whose lane streams have all
// arrived: consensus and routing on one connection, blocks and sync on
// that one or on one other connection (bulkconn.go).
func (hst *Host) startInbound(pc *pendingConn) {
	c, bc := pc.conns[LaneConsensus], pc.conns[LaneBlocks]
	if pc.conns[LaneRouting] != c || pc.conns[LaneSync] != bc {
		for _, s := range pc.streams {
			_ = s.(setupStream).Reset()
		}
		hst.streamFault(pc.streams[LaneSync].(network.Stream), &peerFault{reason: ReasonProtocol, detail: "lanes spread over more than a link connection and a bulk connection"})
		return
	}
	var bulk *bulkConn
	if bc != c {
		bulk = &bulkConn{in: bc, key: connKey(bc)}
		hst.markBulk(bc.LocalMultiaddr(), bc.RemoteMultiaddr())
	}
	hst.startSession(c, bulk, pc.streams)
}

// streamFault charges the peer for a bad lane stream and resets it; a ban
// also drops the peer's connections.
func (hst *Host) streamFault(st network.Stream, f *peerFault) {
	p := st.Conn().RemotePeer()
	hst.log.Info().Str("peer", p.String()).Str("reason", string(f.reason)).Str("detail", f.detail).Msg("bad lane stream")
	_ = st.Reset()
	if hst.penalize(p, f.reason) {
		hst.closePeer(p)
	}
}

func (hst *Host) handshakeTimeout(key pendKey) {
	hst.pendingMu.Lock()
	pc := hst.pending[key]
	delete(hst.pending, key)
	hst.pendingMu.Unlock()
	if pc == nil {
		return
	}
	for _, s := range pc.streams {
		if s != nil {
			_ = s.(network.Stream).Reset()
		}
	}
	if !pc.refused {
		hst.setupEnded(key.peer, &Error{Reason: ReasonTimeout, Detail: "lane handshake"})
	}
	for _, c := range pc.conns {
		if c != nil {
			_ = c.Close()
		}
	}
}

func (hst *Host) disconnected(c network.Conn) {
	hst.pendingMu.Lock()
	var ended []*pendingConn
	for key, pc := range hst.pending {
		if slices.Contains(pc.conns[:], c) {
			delete(hst.pending, key)
			ended = append(ended, pc)
		}
	}
	hst.pendingMu.Unlock()
	notified := false
	for _, pc := range ended {
		pc.timer.Stop()
		for _, s := range pc.streams {
			if s != nil {
				_ = s.(network.Stream).Reset()
			}
		}
		if !pc.refused {
			hst.setupEnded(c.RemotePeer(), hst.setupError(c.RemotePeer(), ReasonTransport, "connection closed during lane setup"))
			notified = true // setupEnded notified
		}
	}
	if !notified {
		hst.notify()
	}
}

// setupError is why a connection to p ended during lane setup: its ban,
// if it is banned, or else the reason r given.
func (hst *Host) setupError(p PeerID, r Reason, detail string) *Error {
	hst.mu.Lock()
	b, banned := hst.refusedLocked(p, time.Now())
	hst.mu.Unlock()
	if banned {
		return &Error{Reason: ReasonBanned, Detail: b.Reason}
	}
	return &Error{Reason: r, Detail: detail}
}

// startSession runs a link over its lane streams — consensus and routing
// on c, blocks and sync on bulk if not nil — and registers it.
func (hst *Host) startSession(c network.Conn, bulk *bulkConn, streams [NumLanes]laneStream) {
	dir, dialer := Inbound, c.RemotePeer()
	if c.Stat().Direction == network.DirOutbound {
		dir, dialer = Outbound, hst.local
	}
	p := sessionParams{
		remote: c.RemotePeer(), dir: dir, dialer: dialer, key: connKey(c),
		transport: transportName(c), streams: streams,
		closeConn: func() { _ = c.Close() },
	}
	if bulk != nil {
		p.bulkKey = bulk.key
		p.closeConn = func() { _ = c.Close(); bulk.close() }
		p.mainClosed = c.IsClosed
	}
	s, err := hst.newSession(p)
	if err != nil {
		for _, st := range streams {
			_ = st.(setupStream).Reset()
		}
		if bulk != nil {
			bulk.close()
		}
		return
	}
	hst.add(s)
}

// connKey names a connection identically on both ends: dialer address,
// then listener address.
func connKey(c network.Conn) string {
	l, r := c.LocalMultiaddr().String(), c.RemoteMultiaddr().String()
	if c.Stat().Direction == network.DirOutbound {
		return l + ">" + r
	}
	return r + ">" + l
}

func transportName(c network.Conn) string {
	t := c.ConnState().Transport
	if strings.HasPrefix(t, "quic") {
		return "quic"
	}
	return t
}
