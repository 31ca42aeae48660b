package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	msmux "github.com/multiformats/go-multistream"
)

// pendingConn gathers the lane streams a dialer opens on one connection.
type pendingConn struct {
	streams [NumLanes]laneStream
	n       int
	timer   *time.Timer
	refused bool // on another chain (chainid.go): no session, no record of its own
}

// connected runs for every new libp2p connection. The side that dialed
// opens the lane streams on that very connection, so a link is bound to one
// connection and duplicates can be pruned by connection.
func (hst *Host) connected(c network.Conn) {
	if c.Stat().Direction != network.DirOutbound || hst.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(hst.ctx, hst.cfg.Conn.HandshakeTimeout)
	defer cancel()
	var streams [NumLanes]laneStream
	for l := range Lane(NumLanes) {
		st, err := hst.openLane(ctx, c, l)
		if err != nil {
			for _, s := range streams[:l] {
				_ = s.(network.Stream).Reset()
			}
			hst.log.Debug().Err(err).Str("peer", c.RemotePeer().String()).Msg("opening lanes failed")
			if hst.ctx.Err() == nil {
				hst.setupEnded(c.RemotePeer(), hst.setupError(c.RemotePeer(), ReasonTransport, err.Error()))
			}
			return
		}
		streams[l] = st
		if l != LaneConsensus {
			continue
		}
		// The chain check comes first (one round trip): a peer on another
		// chain resets the other lanes, which would hide why.
		if err := hst.checkChain(ctx, c, st); err != nil {
			_ = st.Reset()
			if ReasonOf(err) != ReasonWrongChain && hst.ctx.Err() == nil {
				hst.setupEnded(c.RemotePeer(), hst.setupError(c.RemotePeer(), ReasonTransport, err.Error()))
			}
			_ = c.Close()
			return
		}
	}
	hst.startSession(c, streams)
}

func (hst *Host) openLane(ctx context.Context, c network.Conn, l Lane) (network.Stream, error) {
	st, err := c.NewStream(ctx)
	if err != nil {
		return nil, fmt.Errorf("link: open %s stream: %w", l, err)
	}
	if err := st.SetProtocol(ProtocolID); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("link: %s stream protocol: %w", l, err)
	}
	dl, _ := ctx.Deadline()
	_ = st.SetDeadline(dl)
	if err := msmux.SelectProtoOrFail(ProtocolID, st); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("link: negotiate %s stream: %w", l, err)
	}
	pre := appendPreamble(nil, l)
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
	var pre [preambleLen]byte
	if _, err := io.ReadFull(st, pre[:]); err != nil {
		_ = st.Reset()
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	l, err := parsePreamble(pre)
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
	hst.pendingMu.Lock()
	pc := hst.pending[c]
	if pc == nil {
		pc = &pendingConn{}
		pc.timer = time.AfterFunc(hst.cfg.Conn.HandshakeTimeout, func() { hst.handshakeTimeout(c) })
		hst.pending[c] = pc
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
	pc.streams[l] = st
	pc.n++
	if pc.n < NumLanes {
		hst.pendingMu.Unlock()
		return
	}
	delete(hst.pending, c)
	pc.timer.Stop()
	hst.pendingMu.Unlock()
	hst.startSession(c, pc.streams)
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

func (hst *Host) handshakeTimeout(c network.Conn) {
	hst.pendingMu.Lock()
	pc := hst.pending[c]
	delete(hst.pending, c)
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
		hst.setupEnded(c.RemotePeer(), &Error{Reason: ReasonTimeout, Detail: "lane handshake"})
	}
	_ = c.Close()
}

func (hst *Host) disconnected(c network.Conn) {
	hst.pendingMu.Lock()
	pc := hst.pending[c]
	delete(hst.pending, c)
	hst.pendingMu.Unlock()
	if pc != nil {
		pc.timer.Stop()
		for _, s := range pc.streams {
			if s != nil {
				_ = s.(network.Stream).Reset()
			}
		}
		if !pc.refused {
			hst.setupEnded(c.RemotePeer(), hst.setupError(c.RemotePeer(), ReasonTransport, "connection closed during lane setup"))
			return // setupEnded notified
		}
	}
	hst.notify()
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

// startSession runs a link over c's lane streams and registers it.
func (hst *Host) startSession(c network.Conn, streams [NumLanes]laneStream) {
	dir, dialer := Inbound, c.RemotePeer()
	if c.Stat().Direction == network.DirOutbound {
		dir, dialer = Outbound, hst.local
	}
	s, err := hst.newSession(sessionParams{
		remote: c.RemotePeer(), dir: dir, dialer: dialer, key: connKey(c),
		transport: transportName(c), streams: streams,
		closeConn: func() { _ = c.Close() },
	})
	if err != nil {
		for _, st := range streams {
			_ = st.(network.Stream).Reset()
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
