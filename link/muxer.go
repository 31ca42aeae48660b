package link

import (
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
)

// The yamux stream window (issue 14). yamux starts every stream's receive
// window at 256 KiB and doubles it (to go-libp2p's 16 MiB) only when a
// window drains within four of the session's round trips, a round trip it
// measures once when the session starts and then every 30 s. On a fast
// path that one early sample decides the stream's fate: a sample taken
// while the handshakes still load the CPU is long, so windows grow and a
// bulk lane moved ~650 MiB/s on loopback; a short one (~30 µs) asks for a
// window drained in ~120 µs, which a 2-core host never manages, so the
// window stayed at 256 KiB and the same lane moved ~230 MiB/s. Fifteen
// `blockwire bench link` runs were split this way, 10 slow and 5 fast,
// the bare stream the same (docs/benchmarks.md, "yamux's window").
//
// A link's own credit (credit.go) is what bounds the block bytes in
// flight; yamux's window should never bind below it. So every stream
// starts with a yamux window of twice the largest bulk window a link may
// grant (its half-window update then comes before our credit runs out),
// and yamux may still grow it on a long fat path as before.

// yamuxWindowFloor is yamux's own initial stream window, the least it
// accepts.
const yamuxWindowFloor = 256 << 10

// muxerTransport is go-libp2p's yamux configuration with the initial
// stream window set for c.
func muxerTransport(c *ConnConfig) *yamux.Transport {
	t := *yamux.DefaultTransport
	t.InitialStreamWindowSize = yamuxInitialWindow(c)
	if t.MaxStreamWindowSize < t.InitialStreamWindowSize {
		t.MaxStreamWindowSize = t.InitialStreamWindowSize
	}
	return &t
}

// yamuxInitialWindow is twice the largest bulk window a link may grant, at
// least yamux's own 256 KiB.
func yamuxInitialWindow(c *ConnConfig) uint32 {
	w := max(c.BulkWindow, c.BulkConnWindow, c.BulkWindowMax)
	return uint32(max(2*w, yamuxWindowFloor))
}
