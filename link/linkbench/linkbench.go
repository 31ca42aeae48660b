// Package linkbench measures the link layer against the bare transport it
// runs on, in one run on one connection (a second one only for the floor
// below), so that the figures are ratios taken under the same machine
// noise:
//
//   - consensus-lane round trip (p50, p99) on an idle link, then again while
//     blocks of BlockSize stream back to back on the blocks lane of the same
//     link; hol_ratio = loaded p99 / idle p99 (target ≤ 2);
//   - blocks-lane throughput (one BlockSize message, sent to delivered)
//     against a bare libp2p stream on the link's (main) connection carrying
//     the same bytes — the lane itself runs on the link's bulk connection
//     when it has one; throughput_ratio = lane / raw (target ≥ 0.8). The
//     garbage is collected before every transfer, so that both receive
//     their BlockSize buffer from reused heap: left to chance, one side's
//     buffer was fresh memory that page-faults in (~3× slower on a VM) and
//     the ratio swung between ~0.3 and ~1 (issue 14, session 11).
//
// Then, unless Options.NoReference, reference figures for plain libp2p
// streams (per phase, Pings round trips of PingSize bytes on a fresh bare
// echo stream after 100 warm-up ones; the flood is a bare stream writing
// a block in 1 MiB writes back to back, its receiver discarding):
//
//   - bare_idle: the echo stream on the pair's connection, quiet;
//   - bare_shared: the same while the flood runs on that same connection;
//     bare_shared_hol_ratio = bare_shared p99 / bare_idle p99. This is
//     what plain libp2p streams sharing a connection give, the head-of-line
//     blocking the lanes exist to remove;
//   - floor: the echo stream between a second pair of hosts, built like
//     the first with their own connection, while the first pair floods;
//     floor_hol_ratio = floor p99 / floor_idle p99 (the second pair, quiet,
//     just before). No connection is shared, so this is CPU contention
//     alone: the machine's floor under hol_ratio. floor_flood_mibps is the
//     flood's received rate meanwhile.
//
// Run is what `blockwire bench link --json` calls; BenchmarkLink in the
// tests is its `go test -bench` twin. Nothing here asserts a time.
package linkbench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/blockwire/blockwire/link"
)

// Options configure a run. Zero fields take the defaults in brackets.
type Options struct {
	Transport string // "tcp" or "quic" [tcp]
	BlockSize int    // bytes per block [64 MiB]
	Pings     int    // round trips per phase [2000]
	PingSize  int    // consensus message bytes [100]
	Rounds    int    // throughput rounds per side; the median is kept [5]
	// NoReference skips the bare-stream reference phases (bare_*, floor_*).
	NoReference bool
	// Conn overrides the link configuration; nil means DefaultConnConfig
	// with MaxMessage[LaneBlocks] raised to BlockSize if needed.
	Conn *link.ConnConfig

	// Peer and FloorPeer are the addresses (/…/p2p/<id>) of Responders
	// in another process, for the pair and the floor pair; empty means a
	// Responder in this process on 127.0.0.1. ListenIP is the address our
	// own hosts listen on (default 127.0.0.1).
	Peer, FloorPeer, ListenIP string
}

// Result is one run's figures; JSON names are the CLI's contract.
type Result struct {
	Transport       string  `json:"transport"`
	BlockSize       int     `json:"block_size"`
	Pings           int     `json:"pings"`
	IdleP50us       float64 `json:"idle_p50_us"`
	IdleP99us       float64 `json:"idle_p99_us"`
	LoadedP50us     float64 `json:"loaded_p50_us"`
	LoadedP99us     float64 `json:"loaded_p99_us"`
	HOLRatio        float64 `json:"hol_ratio"`
	BlocksDuringRTT int     `json:"blocks_during_rtt"`
	// LoadedFloodMiBps is the blocks lane's rate while the loaded phase's
	// round trips ran (bytes written to the muxer over the pings' time),
	// the load the loaded figures were taken under; floor_flood_mibps is
	// the floor's.
	LoadedFloodMiBps float64 `json:"loaded_flood_mibps"`
	LaneMiBps        float64 `json:"lane_mibps"`
	RawStreamMiBps   float64 `json:"raw_stream_mibps"`
	ThroughputRatio  float64 `json:"throughput_ratio"`

	// Reference phases (see the package doc); zero with NoReference.
	BareIdleP50us      float64 `json:"bare_idle_p50_us"`
	BareIdleP99us      float64 `json:"bare_idle_p99_us"`
	BareSharedP50us    float64 `json:"bare_shared_p50_us"`
	BareSharedP99us    float64 `json:"bare_shared_p99_us"`
	BareSharedHOLRatio float64 `json:"bare_shared_hol_ratio"`
	FloorIdleP99us     float64 `json:"floor_idle_p99_us"`
	FloorP50us         float64 `json:"floor_p50_us"`
	FloorP99us         float64 `json:"floor_p99_us"`
	FloorHOLRatio      float64 `json:"floor_hol_ratio"`
	FloorFloodMiBps    float64 `json:"floor_flood_mibps"`
	// LaneFloorRatio = loaded_p99 / floor_p99: the link's loaded consensus
	// round trip against the machine's floor under the same load.
	LaneFloorRatio float64 `json:"lane_floor_ratio"`
	// Processes is 1 when both ends ran in this process, 2 when the far
	// ends were Responders in another process (Options.Peer).
	Processes int `json:"processes"`
}

const rawProtocol = protocol.ID("/blockwire/bench/raw/1")

// maxBlocksInFlight bounds the blocks the loaded phase sends, so that the
// receiving handler never blocks on its channel.
const maxBlocksInFlight = 1024

func (o *Options) defaults() error {
	if o.Transport == "" {
		o.Transport = "tcp"
	}
	if o.Transport != "tcp" && o.Transport != "quic" {
		return fmt.Errorf("linkbench: Options.Transport = %q, want tcp or quic", o.Transport)
	}
	if o.BlockSize == 0 {
		o.BlockSize = 64 << 20
	}
	if o.Pings == 0 {
		o.Pings = 2000
	}
	if o.PingSize == 0 {
		o.PingSize = 100
	}
	if o.Rounds == 0 {
		o.Rounds = 5
	}
	if o.BlockSize < 1 || o.Pings < 1 || o.PingSize < 8 || o.Rounds < 1 {
		return errors.New("linkbench: Options: BlockSize, Pings, Rounds ≥ 1 and PingSize ≥ 8 required")
	}
	return nil
}

// pair is our host and a Responder (in this process or another one),
// with one link between them.
type pair struct {
	a      *link.Host
	resp   *Responder // nil when the responder runs in another process
	peer   peer.AddrInfo
	l      link.Link
	pongs  chan []byte
	blocks chan int // delivered block lengths, acknowledged on the routing lane
}

// hostConfig is the link configuration of both ends.
func hostConfig(o Options, listen string) link.Config {
	cc := link.DefaultConnConfig()
	if o.Conn != nil {
		cc = *o.Conn
	}
	cc.MaxMessage[link.LaneBlocks] = max(cc.MaxMessage[link.LaneBlocks], o.BlockSize)
	c := link.DefaultConfig()
	c.TCP, c.QUIC = o.Transport == "tcp", o.Transport == "quic"
	c.ListenAddrs = []string{listen}
	c.Conn = cc
	return c
}

// listenAddr is a libp2p listen address on ip (any port) for o's transport.
func listenAddr(o Options, ip string) string {
	if ip == "" {
		ip = "127.0.0.1"
	}
	if o.Transport == "quic" {
		return "/ip4/" + ip + "/udp/0/quic-v1"
	}
	return "/ip4/" + ip + "/tcp/0"
}

func newPair(ctx context.Context, o Options, remote string) (*pair, error) {
	p := &pair{pongs: make(chan []byte, 1), blocks: make(chan int, maxBlocksInFlight)}
	if remote == "" {
		r, err := NewResponder(o, listenAddr(o, ""))
		if err != nil {
			return nil, err
		}
		p.resp, p.peer = r, r.h.AddrInfo()
	} else {
		ai, err := peer.AddrInfoFromString(remote)
		if err != nil {
			return nil, fmt.Errorf("linkbench: peer address %q: %w", remote, err)
		}
		p.peer = *ai
	}
	var err error
	p.a, err = link.New(hostConfig(o, listenAddr(o, o.ListenIP)), link.HandlerFuncs{OnReceive: func(_ link.Link, lane link.Lane, msg []byte) {
		switch lane {
		case link.LaneConsensus:
			p.pongs <- msg
		case link.LaneRouting:
			if len(msg) == 8 { // a block's delivery, buffered for every block in flight (see loaded)
				p.blocks <- int(binary.BigEndian.Uint64(msg))
			}
		}
	}})
	if err != nil {
		p.close()
		return nil, err
	}
	p.l, err = p.a.Connect(ctx, p.peer)
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *pair) close() {
	if p.a != nil {
		_ = p.a.Close()
	}
	if p.resp != nil {
		_ = p.resp.Close()
	}
}

// Run performs one measurement.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	p, err := newPair(ctx, o, o.Peer)
	if err != nil {
		return Result{}, err
	}
	defer p.close()
	r := Result{Transport: o.Transport, BlockSize: o.BlockSize, Pings: o.Pings, Processes: 1}
	if o.Peer != "" {
		r.Processes = 2
	}
	block := make([]byte, o.BlockSize)
	if err := p.throughput(ctx, o, block, &r); err != nil {
		return r, err
	}
	if _, err := p.rtts(ctx, o, 100); err != nil { // warm up
		return r, err
	}
	idle, err := p.rtts(ctx, o, o.Pings)
	if err != nil {
		return r, err
	}
	loaded, blocks, flood, err := p.loaded(ctx, o, block)
	if err != nil {
		return r, err
	}
	r.IdleP50us, r.IdleP99us = pct(idle, 50), pct(idle, 99)
	r.LoadedP50us, r.LoadedP99us = pct(loaded, 50), pct(loaded, 99)
	r.HOLRatio = r.LoadedP99us / r.IdleP99us
	r.BlocksDuringRTT = blocks
	r.LoadedFloodMiBps = flood
	if !o.NoReference {
		if err := p.reference(ctx, o, block, &r); err != nil {
			return r, err
		}
		r.LaneFloorRatio = r.LoadedP99us / r.FloorP99us
	}
	return r, nil
}

// throughput alternates lane and raw transfers and keeps each median.
func (p *pair) throughput(ctx context.Context, o Options, block []byte, r *Result) error {
	var lane, raw []float64
	for range o.Rounds {
		runtime.GC()
		d, err := p.laneOnce(ctx, block)
		if err != nil {
			return err
		}
		lane = append(lane, mibps(len(block), d))
		runtime.GC()
		d, err = p.rawOnce(ctx, block)
		if err != nil {
			return err
		}
		raw = append(raw, mibps(len(block), d))
	}
	r.LaneMiBps, r.RawStreamMiBps = median(lane), median(raw)
	r.ThroughputRatio = r.LaneMiBps / r.RawStreamMiBps
	return nil
}

func (p *pair) laneOnce(ctx context.Context, block []byte) (time.Duration, error) {
	start := time.Now()
	if err := p.l.SendWait(ctx, link.LaneBlocks, block); err != nil {
		return 0, err
	}
	select {
	case <-p.blocks:
		return time.Since(start), nil
	case <-p.l.Done():
		return 0, fmt.Errorf("linkbench: link ended during a transfer: %w", p.l.Err())
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (p *pair) rawOnce(ctx context.Context, block []byte) (time.Duration, error) {
	start := time.Now()
	s, err := p.a.Libp2p().NewStream(ctx, p.peer.ID, rawProtocol)
	if err != nil {
		return 0, fmt.Errorf("linkbench: raw stream: %w", err)
	}
	defer func() { _ = s.Close() }() // the stream is done with; its close error says nothing here
	if _, err := s.Write(binary.BigEndian.AppendUint64(nil, uint64(len(block)))); err != nil {
		return 0, fmt.Errorf("linkbench: raw write: %w", err)
	}
	for off := 0; off < len(block); off += 1 << 20 {
		if _, err := s.Write(block[off:min(off+1<<20, len(block))]); err != nil {
			return 0, fmt.Errorf("linkbench: raw write: %w", err)
		}
	}
	if err := s.CloseWrite(); err != nil {
		return 0, fmt.Errorf("linkbench: raw close: %w", err)
	}
	var ack [1]byte
	if _, err := io.ReadFull(s, ack[:]); err != nil {
		return 0, fmt.Errorf("linkbench: raw ack: %w", err)
	}
	d := time.Since(start)
	if ack[0] != 1 {
		return 0, fmt.Errorf("linkbench: the raw stream did not deliver the %d bytes intact", len(block))
	}
	return d, nil
}

// rtts measures n sequential consensus round trips, in microseconds.
func (p *pair) rtts(ctx context.Context, o Options, n int) ([]float64, error) {
	msg := make([]byte, o.PingSize)
	out := make([]float64, 0, n)
	for i := range n {
		msg[0] = byte(i)
		start := time.Now()
		if err := p.l.Send(link.LaneConsensus, msg); err != nil {
			return nil, err
		}
		select {
		case <-p.pongs:
		case <-p.l.Done():
			return nil, p.l.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/1e3)
	}
	return out, nil
}

// loaded measures round trips while blocks stream back to back, and the
// blocks lane's rate over them in MiB/s.
func (p *pair) loaded(ctx context.Context, o Options, block []byte) ([]float64, int, float64, error) {
	stop := make(chan struct{})
	var sent int
	var wg sync.WaitGroup
	first := make(chan struct{})
	wg.Go(func() {
		for sent < maxBlocksInFlight {
			select {
			case <-stop:
				return
			default:
			}
			if p.l.SendWait(ctx, link.LaneBlocks, block) != nil {
				return
			}
			if sent++; sent == 1 {
				close(first)
			}
		}
	})
	select { // sample only once a block is queued and streaming
	case <-first:
	case <-ctx.Done():
		return nil, 0, 0, ctx.Err()
	}
	start, out0 := time.Now(), p.l.Stats().Lanes[link.LaneBlocks].BytesOut
	rt, err := p.rtts(ctx, o, o.Pings)
	rate := mibps(int(p.l.Stats().Lanes[link.LaneBlocks].BytesOut-out0), time.Since(start))
	close(stop)
	wg.Wait()
	for range sent { // drain what is in flight before the next phase
		select {
		case <-p.blocks:
		case <-ctx.Done():
			return nil, 0, 0, ctx.Err()
		}
	}
	return rt, sent, rate, err
}

func mibps(n int, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }

func pct(xs []float64, p int) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func median(xs []float64) float64 { return pct(xs, 50) }
