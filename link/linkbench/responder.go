package linkbench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/blockwire/blockwire/link"
)

// The responder is the far end of every measurement: it echoes consensus
// messages, acknowledges each delivered block with its length on the
// routing lane, takes bare-stream transfers (acknowledging each with one
// byte: 1 intact, 0 not), echoes bare pings and sinks floods (one byte
// back once floodWarmup bytes arrived). It tells the measuring side
// everything over the network, so it runs alike in the same process or in
// another one, in another network namespace (Serve, the two-process mode).

// Responder is a link host answering a measuring Run.
type Responder struct {
	h *link.Host
}

// NewResponder starts a responder host listening on listen (a libp2p
// multiaddr, port 0 for any) with o's transport and link configuration.
func NewResponder(o Options, listen string) (*Responder, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	r := &Responder{}
	h, err := link.New(hostConfig(o, listen), link.HandlerFuncs{OnReceive: r.receive})
	if err != nil {
		return nil, err
	}
	r.h = h
	h.Libp2p().SetStreamHandler(rawProtocol, rawSink)
	h.Libp2p().SetStreamHandler(echoProtocol, echoHandler(o.PingSize))
	h.Libp2p().SetStreamHandler(floodProtocol, floodSink)
	return r, nil
}

// Addr is the responder's full address, /…/p2p/<id>, for Options.Peer.
func (r *Responder) Addr() string {
	ai := r.h.AddrInfo()
	if len(ai.Addrs) == 0 {
		return ""
	}
	return fmt.Sprintf("%s/p2p/%s", ai.Addrs[0], ai.ID)
}

// Close stops the responder's host.
func (r *Responder) Close() error { return r.h.Close() }

func (r *Responder) receive(l link.Link, lane link.Lane, msg []byte) {
	switch lane {
	case link.LaneConsensus:
		_ = l.Send(link.LaneConsensus, msg) // echo
	case link.LaneBlocks:
		_ = l.Send(link.LaneRouting, binary.BigEndian.AppendUint64(nil, uint64(len(msg))))
	}
}

// rawSink is the baseline's receiver: the plainest way to move a block
// over a bare stream, an 8-byte length then the bytes, read into one
// buffer of that length (a block must end up in memory, as the lane
// delivers it), acknowledged with one byte (1: all bytes, then the end of
// stream, arrived).
func rawSink(s network.Stream) {
	defer func() { _ = s.Close() }() // the stream is done with; its close error says nothing here
	var hdr [8]byte
	if _, err := io.ReadFull(s, hdr[:]); err != nil {
		_ = s.Reset()
		return
	}
	n := binary.BigEndian.Uint64(hdr[:])
	if n > 1<<31 {
		_ = s.Reset()
		return
	}
	buf := make([]byte, n)
	k, _ := io.ReadFull(s, buf)
	// Wait for the sender's end of stream before acknowledging: closing
	// a QUIC stream whose FIN is still unread cancels it (STOP_SENDING),
	// and the sender's CloseWrite would then fail at random.
	ok := byte(0)
	if _, err := s.Read(hdr[:1]); errors.Is(err, io.EOF) && k == int(n) {
		ok = 1
	}
	_, _ = s.Write([]byte{ok})
}

// floodSink discards a flood and writes one byte back once it has read
// floodWarmup bytes, for startFlood.
func floodSink(s network.Stream) {
	buf := make([]byte, floodRead)
	for read := 0; ; {
		n, err := s.Read(buf)
		if read < floodWarmup && read+n >= floodWarmup {
			if _, werr := s.Write([]byte{1}); werr != nil {
				_ = s.Reset()
				return
			}
		}
		read += n
		if errors.Is(err, io.EOF) {
			_ = s.Close() // the sender waits for this end of stream
			return
		}
		if err != nil {
			_ = s.Reset()
			return
		}
	}
}
