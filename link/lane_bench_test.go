package link_test

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/link"
)

// BenchmarkLaneThroughput streams blocks on the blocks lane of one link
// between two real hosts on loopback, from SendWait to the receiver's
// Receive, one block in flight at a time (as linkbench's lane figure).
// It reports MiB/s, the CPU time per MiB of the process (both ends) and,
// with -benchmem, the allocations per block on both ends, so that a copy,
// a syscall or an allocation per frame shows up as a regression even on
// a loaded machine, where the rate says little:
//
// The oneconn variants carry the bulk lanes on the link's connection
// (ConnConfig.BulkConn off), as before wire version 3; the raw variants
// send the same bytes on a bare libp2p stream (linkbench's baseline), so
// that lane and raw compare in one run. BW_BULK_WINDOW (bytes) overrides
// the bulk windows, for window experiments without a rebuild.
//
//	go test ./link/ -run '^$' -bench BenchmarkLaneThroughput -benchmem -benchtime 20x
func BenchmarkLaneThroughput(b *testing.B) {
	for _, tr := range []string{"tcp", "quic"} {
		for _, bulkConn := range []bool{true, false} {
			conn := "bulkconn"
			if !bulkConn {
				conn = "oneconn"
			}
			for _, size := range []int{1 << 20, 16 << 20} {
				b.Run(tr+"/"+conn+"/"+sizeName(size), func(b *testing.B) { benchLane(b, tr, size, bulkConn, false) })
			}
		}
		for _, size := range []int{1 << 20, 16 << 20} {
			b.Run(tr+"/raw/"+sizeName(size), func(b *testing.B) { benchLane(b, tr, size, true, true) })
		}
	}
}

// rawBench is the raw variants' protocol: a bare libp2p stream on the
// link's connection carrying an 8-byte length and the bytes, read into one
// buffer of that length, as linkbench's raw_stream baseline.
const rawBench = "/blockwire/bench/lane-raw/1"

func rawBenchSink(s network.Stream) {
	defer func() { _ = s.Close() }()
	var hdr [8]byte
	if _, err := io.ReadFull(s, hdr[:]); err != nil {
		return
	}
	buf := make([]byte, binary.BigEndian.Uint64(hdr[:]))
	if _, err := io.ReadFull(s, buf); err != nil {
		return
	}
	_, _ = s.Read(hdr[:1]) // the sender's end of stream
	_, _ = s.Write([]byte{1})
}

func rawBenchSend(ctx context.Context, b *testing.B, tx *link.Host, to peer.ID, block []byte) {
	s, err := tx.Libp2p().NewStream(ctx, to, rawBench)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	_, err = s.Write(binary.BigEndian.AppendUint64(nil, uint64(len(block))))
	for off := 0; off < len(block) && err == nil; off += 1 << 20 {
		_, err = s.Write(block[off:min(off+1<<20, len(block))])
	}
	if err == nil {
		err = s.CloseWrite()
	}
	var ack [1]byte
	if err == nil {
		_, err = io.ReadFull(s, ack[:])
	}
	if err != nil {
		b.Fatal(err)
	}
}

func sizeName(n int) string { return strconv.Itoa(n>>20) + "MiB" }

func benchLane(b *testing.B, transport string, size int, bulkConn, raw bool) {
	cfg := func() link.Config {
		c := link.DefaultConfig()
		c.TCP, c.QUIC = transport == "tcp", transport == "quic"
		if c.TCP {
			c.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
		} else {
			c.ListenAddrs = []string{"/ip4/127.0.0.1/udp/0/quic-v1"}
		}
		c.Conn.MaxMessage[link.LaneBlocks] = max(c.Conn.MaxMessage[link.LaneBlocks], size)
		c.Conn.BulkConn = bulkConn
		if w, err := strconv.Atoi(os.Getenv("BW_BULK_WINDOW")); err == nil && w > 0 {
			c.Conn.BulkWindow, c.Conn.QUICBulkWindow, c.Conn.BulkConnWindow = w, w, w
		}
		if w, err := strconv.Atoi(os.Getenv("BW_BULK_WINDOW_MAX")); err == nil && w >= 0 {
			c.Conn.BulkWindowMax = w
		}
		c.Logger = zerolog.Nop()
		return c
	}
	got := make(chan int, 1)
	rx, err := link.New(cfg(), link.HandlerFuncs{OnReceive: func(_ link.Link, l link.Lane, m []byte) {
		if l == link.LaneBlocks {
			got <- len(m)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = rx.Close() }()
	rx.Libp2p().SetStreamHandler(rawBench, rawBenchSink)
	tx, err := link.New(cfg(), link.HandlerFuncs{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Close() }()
	ctx := context.Background()
	l, err := tx.Connect(ctx, rx.AddrInfo())
	if err != nil {
		b.Fatal(err)
	}
	block := make([]byte, size)
	send := func() {
		if err := l.SendWait(ctx, link.LaneBlocks, block); err != nil {
			b.Fatal(err)
		}
		select {
		case n := <-got:
			if n != size {
				b.Fatalf("delivered %d bytes, sent %d", n, size)
			}
		case <-l.Done():
			b.Fatal(l.Err())
		}
	}
	if raw {
		send = func() { rawBenchSend(ctx, b, tx, rx.AddrInfo().ID, block) }
	}
	send() // warm up: the muxer's and the congestion windows grow
	b.SetBytes(int64(size))
	cpu0 := cpuTime()
	r0, w0 := syscallsRW()
	for b.Loop() {
		send()
	}
	mib := float64(size) * float64(b.N) / (1 << 20)
	b.ReportMetric(mib/b.Elapsed().Seconds(), "MiB/s")
	// CPU time of the whole process (both ends) per MiB moved: unlike the
	// rate, it hardly depends on what else the machine runs.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/mib, "cpu_us/MiB")
	// read(2)- and write(2)-family calls per MiB (TCP's; QUIC's
	// recvmmsg/sendmsg are not counted): what a frame or credit too many
	// costs, independent of the load.
	r1, w1 := syscallsRW()
	b.ReportMetric(float64(r1-r0)/mib, "reads/MiB")
	b.ReportMetric(float64(w1-w0)/mib, "writes/MiB")
	if rl := rx.Link(tx.ID()); rl != nil && !raw {
		// The receive window the blocks lane ended with (credit.go).
		b.ReportMetric(float64(rl.Stats().Lanes[link.LaneBlocks].RecvWindow>>10), "recv_window_KiB")
	}
}

// syscallsRW returns the process's read and write system calls so far
// (/proc/self/io; zeros where it does not exist).
func syscallsRW() (reads, writes int) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.Atoi(v)
		switch k {
		case "syscr":
			reads = n
		case "syscw":
			writes = n
		}
	}
	return reads, writes
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
