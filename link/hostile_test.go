package link_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
)

// hostile is a bare libp2p host that speaks our protocol badly.
type hostile struct {
	h host.Host
}

func newHostile(t *testing.T) *hostile {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	return &hostile{h: h}
}

// stream opens a lane stream and writes the given preamble.
func (x *hostile) stream(t *testing.T, to peer.ID, preamble []byte) network.Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := x.h.NewStream(ctx, to, link.ProtocolID)
	require.NoError(t, err)
	_, err = s.Write(preamble)
	require.NoError(t, err)
	return s
}

// lanes opens all four lanes properly, which makes the victim start a link.
func (x *hostile) lanes(t *testing.T, to peer.ID) []network.Stream {
	t.Helper()
	var out []network.Stream
	for l := range byte(link.NumLanes) {
		pre := []byte{'B', 'W', link.WireVersion, l, 0, 0, 0, 0, 0, 0, 0, 1} // lane, link id
		if l == byte(link.LaneConsensus) {
			pre = append(pre, make([]byte, 32)...) // the chain id: tests run on the zero chain
		}
		out = append(out, x.stream(t, to, pre))
	}
	return out
}

func peerInfo(n link.Network, p peer.ID) link.PeerInfo {
	for _, pi := range n.Peers() {
		if pi.Peer == p {
			return pi
		}
	}
	return link.PeerInfo{}
}

// waitFor waits on a link event channel until cond holds.
func waitFor(t *testing.T, events <-chan link.Link, cond func() bool) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for !cond() {
		select {
		case <-events:
		case <-time.After(10 * time.Millisecond): // the victim records faults without an event
		case <-timeout:
			t.Fatal("condition not reached")
		}
	}
}

// TestHostilePeer: garbage, an unknown lane, an oversized frame and a
// flood each cost score with a reason and end in bans, while a good peer
// keeps being served and the victim's heap stays bounded.
func TestHostilePeer(t *testing.T) {
	cfg := testConfig(t, "tcp")
	cfg.Conn.InboundMsgRate[link.LaneConsensus] = 2000
	cfg.Conn.InboundMsgBurst[link.LaneConsensus] = 200
	cfg.Conn.Score.FloodPenalty = 1
	echo := link.HandlerFuncs{OnReceive: func(l link.Link, lane link.Lane, msg []byte) {
		if lane == link.LaneConsensus && string(msg) == "ping" {
			_ = l.Send(link.LaneConsensus, msg)
		}
	}}
	victim := newHost(t, cfg, echo)
	defer victim.Close()

	good := linktest.NewRecorder(16)
	gh := newHost(t, testConfig(t, "tcp"), good)
	defer gh.Close()
	gl, err := gh.Connect(context.Background(), victim.AddrInfo())
	require.NoError(t, err)
	pingGood := func(n int) []time.Duration {
		var rtts []time.Duration
		for range n {
			start := time.Now()
			require.NoError(t, gl.Send(link.LaneConsensus, []byte("ping")))
			m := linktest.Msg{}
			select {
			case m = <-good.Msgs:
			case <-time.After(20 * time.Second):
				t.Fatal("good peer not served")
			}
			require.Equal(t, "ping", string(m.Data))
			rtts = append(rtts, time.Since(start))
		}
		return rtts
	}
	idle := pingGood(200)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// 1. Garbage, an unknown lane, then an oversized frame on a real link.
	bad := newHostile(t)
	require.NoError(t, bad.h.Connect(context.Background(), victim.AddrInfo()))
	bad.stream(t, victim.ID(), []byte("GARBAGE!"))
	waitFor(t, nil, func() bool { return peerInfo(victim, bad.h.ID()).Score < -39 }) // scores decay a little
	bad.stream(t, victim.ID(), []byte{'B', 'W', link.WireVersion, 9})
	waitFor(t, nil, func() bool { return peerInfo(victim, bad.h.ID()).Score < -89 })
	require.Nil(t, peerInfo(victim, bad.h.ID()).Ban)
	lanes := bad.lanes(t, victim.ID())
	frame := binary.AppendUvarint([]byte{1}, uint64(cfg.Conn.MaxMessage[link.LaneRouting]+1))
	_, err = lanes[link.LaneRouting].Write(frame)
	require.NoError(t, err)
	waitFor(t, nil, func() bool { return peerInfo(victim, bad.h.ID()).Ban != nil })
	pi := peerInfo(victim, bad.h.ID())
	require.Contains(t, pi.Ban.Reason, string(link.ReasonOversize))
	require.LessOrEqual(t, pi.Score, -cfg.Conn.Score.BanThreshold)
	waitFor(t, nil, func() bool { return peerInfo(victim, bad.h.ID()).LastDisconnect == link.ReasonBanned })
	require.Contains(t, peerInfo(victim, bad.h.ID()).LastError, string(link.ReasonOversize))
	waitFor(t, nil, func() bool { return bad.h.Network().Connectedness(victim.ID()) != network.Connected })
	// The gater refuses the banned peer once it is authenticated: the
	// dial may look complete to the dialer, but no stream gets through.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if bad.h.Connect(ctx, victim.AddrInfo()) == nil {
		_, err = bad.h.NewStream(ctx, victim.ID(), link.ProtocolID)
		if err == nil {
			waitFor(t, nil, func() bool { return bad.h.Network().Connectedness(victim.ID()) != network.Connected })
		}
	}
	cancel()
	require.Nil(t, victim.Link(bad.h.ID()))

	// 2. A flood of valid messages on the consensus lane, while the good
	// peer keeps pinging.
	flooder := newHostile(t)
	require.NoError(t, flooder.h.Connect(context.Background(), victim.AddrInfo()))
	fl := flooder.lanes(t, victim.ID())
	flood := make([]byte, 0, 64<<10)
	for len(flood)+1100 < cap(flood) {
		flood = binary.AppendUvarint(append(flood, 1), 1000)
		flood = append(flood, make([]byte, 1000)...)
	}
	floodDone := make(chan int64)
	go func() {
		var sent int64
		for sent < 512<<20 {
			if _, err := fl[link.LaneConsensus].Write(flood); err != nil {
				break
			}
			sent += int64(len(flood))
		}
		floodDone <- sent
	}()
	loaded := pingGood(200)
	sent := <-floodDone
	waitFor(t, nil, func() bool { return peerInfo(victim, flooder.h.ID()).Ban != nil })
	fpi := peerInfo(victim, flooder.h.ID())
	require.Contains(t, fpi.Ban.Reason, string(link.ReasonFlood))

	// 3. A slow-loris: it announces a 120 MiB block (legal size) and sends
	// 1 MiB of it. The victim allocates in step with the bytes received,
	// not the announced size. The victim's credit grants on the consensus
	// stream tell us when it has consumed the bytes.
	loris := newHostile(t)
	require.NoError(t, loris.h.Connect(context.Background(), victim.AddrInfo()))
	ll := loris.lanes(t, victim.ID())
	_, err = ll[link.LaneBlocks].Write(binary.AppendUvarint([]byte{1}, 120<<20))
	require.NoError(t, err)
	_, err = ll[link.LaneBlocks].Write(make([]byte, 1<<20))
	require.NoError(t, err)
	waitCredit(t, ll[link.LaneConsensus], link.LaneBlocks, 768<<10)
	runtime.GC()
	var stalled runtime.MemStats
	runtime.ReadMemStats(&stalled)
	// Then garbage: an unknown frame type on the sync lane.
	_, err = ll[link.LaneSync].Write([]byte{0x7f, 0})
	require.NoError(t, err)
	waitFor(t, nil, func() bool { return peerInfo(victim, loris.h.ID()).LastDisconnect == link.ReasonDecode })

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	for _, m := range []runtime.MemStats{stalled, after} {
		growth := int64(m.HeapInuse) - int64(before.HeapInuse)
		t.Logf("heap in use grew %d KiB (flooder sent %d KiB before its ban)", growth>>10, sent>>10)
		require.Less(t, growth, int64(32<<20), "heap grew by %d bytes", growth)
	}

	// The good peer was served throughout; latency is logged, not asserted.
	t.Logf("good peer RTT idle p50 %v p99 %v; under attack p50 %v p99 %v",
		pctl(idle, 50), pctl(idle, 99), pctl(loaded, 50), pctl(loaded, 99))
	require.Nil(t, gl.Err())
	require.Nil(t, peerInfo(victim, gh.ID()).Ban)
	require.True(t, strings.HasPrefix(fpi.Ban.Reason, "score"))
}

// waitCredit reads the victim's control frames on the consensus stream
// until it has granted at least n bytes of credit on lane beyond the
// initial window.
func waitCredit(t *testing.T, s network.Stream, lane link.Lane, n int64) {
	t.Helper()
	_ = s.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(s)
	_, err := io.ReadFull(br, make([]byte, 4+32)) // the victim's chain id answer
	require.NoError(t, err)
	var granted int64
	initial := true
	for granted < n {
		typ, err := br.ReadByte()
		require.NoError(t, err)
		size, err := binary.ReadUvarint(br)
		require.NoError(t, err)
		p := make([]byte, size)
		_, err = io.ReadFull(br, p)
		require.NoError(t, err)
		if typ == 2 && link.Lane(p[0]) == lane {
			v, _ := binary.Uvarint(p[1:])
			if initial {
				initial = false // the first grant is the window itself
				continue
			}
			granted += int64(v)
		}
	}
}

func pctl(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
