package link_test

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

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
// (ConnConfig.BulkConn off), as before wire version 3.
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
				b.Run(tr+"/"+conn+"/"+sizeName(size), func(b *testing.B) { benchLane(b, tr, size, bulkConn) })
			}
		}
	}
}

func sizeName(n int) string { return strconv.Itoa(n>>20) + "MiB" }

func benchLane(b *testing.B, transport string, size int, bulkConn bool) {
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
	send() // warm up: the muxer's and the congestion windows grow
	b.SetBytes(int64(size))
	cpu0 := cpuTime()
	for b.Loop() {
		send()
	}
	mib := float64(size) * float64(b.N) / (1 << 20)
	b.ReportMetric(mib/b.Elapsed().Seconds(), "MiB/s")
	// CPU time of the whole process (both ends) per MiB moved: unlike the
	// rate, it hardly depends on what else the machine runs.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/mib, "cpu_us/MiB")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
