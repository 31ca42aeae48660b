package cft

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// PeerConn is a connection whose remote end the stream layer authenticated:
// a libp2p stream layer's streams (the libp2p peer id, proven by the
// secure channel handshake; cftbench's) and MemNetwork's connections (the dialling layer's address).
// The guard refuses raft traffic on any other net.Conn.
type PeerConn interface {
	net.Conn
	// Peer is the authenticated raft server id of the remote end.
	Peer() raft.ServerID
	// Reset aborts the connection in both directions.
	Reset() error
}

// guard is the raft.StreamLayer raft's NetworkTransport sees: it wraps the
// real stream layer and lets an inbound connection reach raft only if its
// authenticated peer is a member (Membership.Admit), and each request on it
// only if the peer is still a member and the request names the peer as its
// sender (checkHead). A refused connection is reset before raft reads a
// byte of it (or of the refused request) and refused reports the peer.
// Outbound connections pass through: raft dials the addresses of its own
// configuration and the stream layer authenticates the remote end.
//
// The same guard runs over every stream layer, so the in-memory network
// enforces the rule with the code libp2p uses.
type guard struct {
	raft.StreamLayer
	// members returns the current membership; it is called once per
	// accepted connection and once per request, from raft's transport
	// goroutines, and must be safe for concurrent use.
	members func() *Membership
	refused func(*RefusedError)
	// ready is closed once members can be called (raft is open); Accept
	// waits for it so no request races raft's start.
	ready chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newGuard(inner raft.StreamLayer, refused func(*RefusedError)) *guard {
	return &guard{StreamLayer: inner, refused: refused, ready: make(chan struct{}), done: make(chan struct{})}
}

// start sets the membership source and lets Accept hand connections on.
func (g *guard) start(members func() *Membership) {
	g.members = members
	close(g.ready)
}

// Close closes the stream layer; an Accept waiting for start returns.
func (g *guard) Close() error {
	g.once.Do(func() { close(g.done) })
	return g.StreamLayer.Close()
}

// Accept returns the next inbound connection from a member, wrapped so each
// request is checked before raft reads it.
func (g *guard) Accept() (net.Conn, error) {
	for {
		c, err := g.StreamLayer.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case <-g.ready:
		case <-g.done:
			_ = c.Close()
			return nil, net.ErrClosed
		}
		pc, ok := c.(PeerConn)
		if !ok {
			_ = c.Close()
			g.refused(&RefusedError{Reason: RefuseUnauthenticated, Detail: fmt.Sprintf("%T", c)})
			continue
		}
		if err := g.members().Admit(pc.Peer()); err != nil {
			_ = pc.Reset()
			g.refused(asRefused(err))
			continue
		}
		return newGuardConn(pc, g), nil
	}
}

func asRefused(err error) *RefusedError {
	var re *RefusedError
	if errors.As(err, &re) {
		return re
	}
	return &RefusedError{Reason: RefuseMalformed, Detail: err.Error()}
}

// guardConn hands raft one request at a time, each only after checking it.
// It reads the request type byte and decodes the msgpack request the way
// raft's NetworkTransport does (same codec, reading exactly the request's
// bytes through rec), checks it, and then lets raft read those same bytes;
// an InstallSnapshot's Size raw bytes follow unparsed.
type guardConn struct {
	PeerConn
	g    *guard
	peer raft.ServerID
	rec  recorder
	dec  *codec.Decoder

	// Used by Read only: raft reads a connection from one goroutine.
	out []byte // checked bytes raft has not read yet
	raw int64  // snapshot bytes still to pass through unparsed
	err error  // sticky: the connection was refused or failed
}

func newGuardConn(pc PeerConn, g *guard) *guardConn {
	c := &guardConn{PeerConn: pc, g: g, peer: pc.Peer()}
	c.rec.br = bufio.NewReader(pc)
	// A zero ReaderBufferSize makes the decoder read through rec's
	// ByteScanner methods, exactly the bytes of one request, as raft's own
	// decoder does over its bufio.Reader.
	c.dec = codec.NewDecoder(&c.rec, &codec.MsgpackHandle{})
	return c
}

func (c *guardConn) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(c.out) == 0 && c.raw > 0 {
		if int64(len(p)) > c.raw {
			p = p[:c.raw]
		}
		n, err := c.rec.br.Read(p)
		c.raw -= int64(n)
		return n, err
	}
	if len(c.out) == 0 {
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// next reads and checks one request. A refusal resets the stream and is
// reported; a read error (EOF, reset by the peer, deadline) passes through.
func (c *guardConn) next() error {
	c.rec.reset()
	t, err := c.rec.ReadByte()
	if err != nil {
		return err
	}
	var h rpcHead
	if err := c.dec.Decode(&h); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
			return err
		}
		return c.refuse(&RefusedError{Peer: c.peer, Reason: RefuseMalformed, Detail: err.Error()})
	}
	if err := checkHead(c.peer, t, &h); err != nil {
		return c.refuse(asRefused(err))
	}
	if err := c.g.members().Admit(c.peer); err != nil {
		return c.refuse(asRefused(err))
	}
	c.out, c.raw = c.rec.buf, h.Size
	return nil
}

func (c *guardConn) refuse(re *RefusedError) error {
	_ = c.Reset()
	c.g.refused(re)
	return re
}

// recorder is an io.ByteScanner over a bufio.Reader that keeps every byte
// it returns (less the ones unread), so the guard knows exactly which
// bytes made up the request it decoded.
type recorder struct {
	br  *bufio.Reader
	buf []byte
}

// reset starts a request; the guard calls it only once raft has read all
// of the previous one, so the buffer can be reused.
func (r *recorder) reset() { r.buf = r.buf[:0] }

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.br.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

func (r *recorder) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err == nil {
		r.buf = append(r.buf, b)
	}
	return b, err
}

func (r *recorder) UnreadByte() error {
	if err := r.br.UnreadByte(); err != nil {
		return err
	}
	r.buf = r.buf[:len(r.buf)-1]
	return nil
}
