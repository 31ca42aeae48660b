package link

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// Chain identity at lane setup (issue 12 item 7; wire version 2). The
// dialer's consensus-lane preamble is followed by its 32-byte chain id
// (Config.ChainID, the genesis block id on a node); the listener answers
// on that stream, before any frame, with its own preamble and chain id.
// Each side compares the two: a peer on another chain is refused before
// any link exists — once, with ReasonWrongChain and a detail naming both
// ids — instead of being linked and then dropped by the application every
// few seconds. A static peer on another chain is redialed only every
// wrongChainRedial. The in-memory network carries no chain id: all its
// hosts are one test network.

const chainIDLen = 32

// wrongChainRedial is how long the peer manager waits before redialing a
// static peer that is on another chain: an operator has to fix a config
// or a genesis file, so retrying sooner only fills logs.
const wrongChainRedial = 10 * time.Minute

// wrongChain is the refusal of a peer on another chain.
func wrongChain(theirs, ours [chainIDLen]byte) *Error {
	return &Error{Reason: ReasonWrongChain, Detail: fmt.Sprintf("wrong-chain: theirs %s, ours %s",
		hex.EncodeToString(theirs[:]), hex.EncodeToString(ours[:]))}
}

// chainReply is the listener's answer on the consensus stream.
func chainReply(chain [chainIDLen]byte) []byte {
	return append(appendPreamble(nil, LaneConsensus), chain[:]...)
}

// readChainID reads a 32-byte chain id under the handshake deadline.
func readChainID(st network.Stream, deadline time.Time) ([chainIDLen]byte, error) {
	var id [chainIDLen]byte
	_ = st.SetReadDeadline(deadline)
	defer func() { _ = st.SetReadDeadline(time.Time{}) }()
	_, err := io.ReadFull(st, id[:])
	return id, err
}

// acceptChain runs on the listener for the consensus lane stream: it
// reads the dialer's chain id, answers with ours, and reports whether
// the chains match. On a mismatch the peer is refused: recorded, logged
// once, and its connection closed after goAwayGrace, time for the dialer
// to read our answer and see why.
func (hst *Host) acceptChain(st network.Stream) bool {
	c := st.Conn()
	theirs, err := readChainID(st, time.Now().Add(hst.cfg.Conn.HandshakeTimeout))
	if err != nil {
		_ = st.Reset()
		return false
	}
	_ = st.SetWriteDeadline(time.Now().Add(hst.cfg.Conn.HandshakeTimeout))
	_, err = st.Write(chainReply(hst.cfg.ChainID))
	_ = st.SetWriteDeadline(time.Time{})
	if err != nil {
		_ = st.Reset()
		return false
	}
	if theirs == hst.cfg.ChainID {
		return true
	}
	hst.refuseChain(c.RemotePeer(), wrongChain(theirs, hst.cfg.ChainID))
	time.AfterFunc(goAwayGrace, func() { _ = c.Close() })
	return false
}

// checkChain runs on the dialer once its lanes are open: it reads the
// listener's answer on the consensus stream and refuses a peer on
// another chain.
func (hst *Host) checkChain(ctx context.Context, c network.Conn, st network.Stream) error {
	dl, _ := ctx.Deadline()
	var pre [preambleLen]byte
	_ = st.SetReadDeadline(dl)
	_, err := io.ReadFull(st, pre[:])
	if err != nil {
		return fmt.Errorf("link: chain id answer: %w", err)
	}
	if l, err := parsePreamble(pre); err != nil || l != LaneConsensus {
		return fmt.Errorf("link: chain id answer: bad preamble %x", pre)
	}
	theirs, err := readChainID(st, dl)
	if err != nil {
		return fmt.Errorf("link: chain id answer: %w", err)
	}
	if theirs != hst.cfg.ChainID {
		e := wrongChain(theirs, hst.cfg.ChainID)
		hst.refuseChain(c.RemotePeer(), e)
		return e
	}
	return nil
}

// refuseChain records and logs a peer on another chain.
func (hst *Host) refuseChain(p PeerID, e *Error) {
	hst.mu.Lock()
	hst.recordLocked(p, e.Reason, e)
	hst.notifyLocked()
	hst.mu.Unlock()
	hst.log.Warn().Str("peer", p.String()).Str("reason", string(e.Reason)).Str("detail", e.Detail).
		Msg("peer refused: it is on another chain (genesis differs)")
}

// lastReason is why the last link or attempt with p ended.
func (hst *Host) lastReason(p PeerID) Reason {
	hst.mu.Lock()
	defer hst.mu.Unlock()
	if r := hst.records[p]; r != nil {
		return r.reason
	}
	return ""
}
