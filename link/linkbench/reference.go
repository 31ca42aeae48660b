package linkbench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// The reference phases run plain libp2p streams beside the link: an echo
// ping on one stream, and a flood that writes blocks on another.
const (
	echoProtocol  = protocol.ID("/blockwire/bench/echo/1")
	floodProtocol = protocol.ID("/blockwire/bench/flood/1")
	floodWrite    = 1 << 20  // bytes per flood Write
	floodRead     = 64 << 10 // the flood receiver's buffer
	// floodWarmup is what the flood's receiver reads before the pings
	// start: a fresh stream's flow-control window starts small and grows
	// (yamux to 16 MiB), and a flood still ramping up loads less.
	floodWarmup = 16 << 20
	warmupPings = 100
	// teardownTimeout bounds a stream's orderly close, so that a peer that
	// stops answering fails the phase instead of hanging it.
	teardownTimeout = 10 * time.Second
)

// reference measures, after the link's own phases, where the link's
// figures sit between plain libp2p and the machine's floor:
//   - bare_idle: bare-stream pings on the pair's connection, quiet;
//   - bare_shared: the same while a bare stream floods that connection;
//   - floor: bare-stream pings between a second pair of hosts (their own
//     connection) while the first pair floods, after an idle run on the
//     second pair for floor_idle.
func (p *pair) reference(ctx context.Context, o Options, block []byte, r *Result) error {
	if n := len(p.a.Libp2p().Network().ConnsToPeer(p.peer.ID)); n != 1 {
		return fmt.Errorf("linkbench: reference: %d connections between the pair, want 1", n)
	}
	idle, _, err := p.barePings(ctx, o, nil, block)
	if err != nil {
		return fmt.Errorf("linkbench: bare idle: %w", err)
	}
	shared, _, err := p.barePings(ctx, o, p, block)
	if err != nil {
		return fmt.Errorf("linkbench: bare shared: %w", err)
	}
	q, err := newPair(ctx, o, o.FloorPeer)
	if err != nil {
		return fmt.Errorf("linkbench: floor pair: %w", err)
	}
	defer q.close()
	floorIdle, _, err := q.barePings(ctx, o, nil, block)
	if err != nil {
		return fmt.Errorf("linkbench: floor idle: %w", err)
	}
	floor, floodMiBps, err := q.barePings(ctx, o, p, block)
	if err != nil {
		return fmt.Errorf("linkbench: floor: %w", err)
	}
	r.BareIdleP50us, r.BareIdleP99us = pct(idle, 50), pct(idle, 99)
	r.BareSharedP50us, r.BareSharedP99us = pct(shared, 50), pct(shared, 99)
	r.BareSharedHOLRatio = r.BareSharedP99us / r.BareIdleP99us
	r.FloorIdleP99us = pct(floorIdle, 99)
	r.FloorP50us, r.FloorP99us = pct(floor, 50), pct(floor, 99)
	r.FloorHOLRatio = r.FloorP99us / r.FloorIdleP99us
	r.FloorFloodMiBps = floodMiBps
	return nil
}

// echoHandler returns every size bytes it reads until the end of stream.
func echoHandler(size int) network.StreamHandler {
	return func(s network.Stream) {
		buf := make([]byte, size)
		for {
			if _, err := io.ReadFull(s, buf); err != nil {
				if errors.Is(err, io.EOF) {
					_ = s.Close() // the sender is done; it reads our end of stream
				} else {
					_ = s.Reset()
				}
				return
			}
			if _, err := s.Write(buf); err != nil {
				_ = s.Reset()
				return
			}
		}
	}
}

// barePings measures warmupPings then o.Pings sequential round trips of
// o.PingSize bytes on a fresh bare stream from p.a to its responder, in µs. If
// flood is not nil, flood.a floods its responder for the whole time and
// the second result is the flood's rate over the pings (warm-up pings
// included): bytes its writes handed to the muxer, in MiB/s (flow control
// keeps them within one stream window of the bytes received).
func (p *pair) barePings(ctx context.Context, o Options, flood *pair, block []byte) ([]float64, float64, error) {
	s, err := p.a.Libp2p().NewStream(ctx, p.peer.ID, echoProtocol)
	if err != nil {
		return nil, 0, fmt.Errorf("echo stream: %w", err)
	}
	stopReset := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stopReset()
	var f *flooder
	if flood != nil {
		if f, err = flood.startFlood(ctx, block); err != nil {
			_ = s.Reset()
			return nil, 0, err
		}
	}
	start, sent0 := time.Now(), int64(0)
	if f != nil {
		sent0 = f.sent.Load()
	}
	rt, err := pingStream(ctx, s, o, warmupPings+o.Pings)
	var rate float64
	if f != nil {
		rate = float64(f.sent.Load()-sent0) / (1 << 20) / time.Since(start).Seconds()
		err = errors.Join(err, f.stop())
	}
	if err != nil {
		_ = s.Reset()
		return nil, 0, err
	}
	if err := closeAndDrain(s); err != nil {
		return nil, 0, fmt.Errorf("echo close: %w", err)
	}
	return rt[warmupPings:], rate, nil
}

// pingStream sends n pings on s and times each echo, in µs.
func pingStream(ctx context.Context, s network.Stream, o Options, n int) ([]float64, error) {
	msg, reply := make([]byte, o.PingSize), make([]byte, o.PingSize)
	out := make([]float64, 0, n)
	for i := range n {
		binary.BigEndian.PutUint64(msg, uint64(i))
		start := time.Now()
		if _, err := s.Write(msg); err != nil {
			return nil, fmt.Errorf("echo write: %w", errors.Join(ctx.Err(), err))
		}
		if _, err := io.ReadFull(s, reply); err != nil {
			return nil, fmt.Errorf("echo read: %w", errors.Join(ctx.Err(), err))
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/1e3)
		if !bytes.Equal(reply, msg) {
			return nil, fmt.Errorf("echo %d came back altered", i)
		}
	}
	return out, nil
}

// closeAndDrain ends an exchange in order: our end of stream, then the
// peer's (closing a QUIC stream whose FIN is unread would cancel it).
func closeAndDrain(s network.Stream) error {
	if err := s.SetDeadline(time.Now().Add(teardownTimeout)); err != nil {
		_ = s.Reset()
		return err
	}
	if err := s.CloseWrite(); err != nil {
		_ = s.Reset()
		return err
	}
	if n, err := io.Copy(io.Discard, s); err != nil || n != 0 {
		_ = s.Reset()
		if err == nil {
			err = fmt.Errorf("%d unexpected bytes before end of stream", n)
		}
		return err
	}
	return s.Close()
}

// flooder writes a block over a bare stream in floodWrite pieces, back to
// back, until stop.
type flooder struct {
	s      network.Stream
	halt   chan struct{}
	done   chan error
	unhook func() bool
	sent   atomic.Int64 // bytes written
}

// startFlood opens the flood stream from p.a to its responder and
// returns once the receiver has read floodWarmup bytes and said so with a
// byte back (not at the first write: a libp2p stream's protocol is
// negotiated with its first bytes, and its window then grows).
func (p *pair) startFlood(ctx context.Context, block []byte) (*flooder, error) {
	s, err := p.a.Libp2p().NewStream(ctx, p.peer.ID, floodProtocol)
	if err != nil {
		return nil, fmt.Errorf("flood stream: %w", err)
	}
	f := &flooder{s: s, halt: make(chan struct{}), done: make(chan error, 1)}
	f.unhook = context.AfterFunc(ctx, func() { _ = s.Reset() })
	flowing := make(chan struct{})
	go func() {
		var b [1]byte
		if _, err := io.ReadFull(s, b[:]); err == nil {
			close(flowing)
		}
	}()
	go func() { f.done <- f.run(block) }()
	select {
	case <-flowing:
		return f, nil
	case err := <-f.done:
		f.unhook()
		return nil, fmt.Errorf("flood: %w", errors.Join(ctx.Err(), err, errors.New("ended during its warm-up")))
	}
}

func (f *flooder) run(block []byte) error {
	for off := 0; ; off %= len(block) {
		select {
		case <-f.halt:
			return closeAndDrain(f.s)
		default:
		}
		n, err := f.s.Write(block[off:min(off+floodWrite, len(block))])
		f.sent.Add(int64(n))
		if err != nil {
			_ = f.s.Reset()
			return err
		}
		off += n
	}
}

// stop ends the flood and waits for its stream to close on both sides.
func (f *flooder) stop() error {
	close(f.halt)
	err := <-f.done
	f.unhook()
	if err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	return nil
}
