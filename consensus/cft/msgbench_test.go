package cft

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// BenchmarkRaftCommit measures raft commits among 3 servers (bare raft,
// MockFSM, in-memory stores: only the transport differs) over each
// transport, in the same run:
//
//   - stream: raft's NetworkTransport over the guarded MemNetwork stream
//     layer with pipelining off, as the engine ran it before messages;
//   - stream-pipelined: the same with raft's pipelining on (MaxRPCsInFlight
//     2), to see what MsgTransport gives up by not offering a pipeline;
//   - messenger: MsgTransport over MemNet.
//
// latency: one Apply at a time, ns/op is the commit latency. throughput:
// b.N Applies issued at once (raft batches them), ns/op is the time per
// committed entry. Entries are 284 bytes, a signed block entry's size.
// One-way network delay per message (per write on streams): 0 and 1 ms.
func BenchmarkRaftCommit(b *testing.B) {
	for _, lat := range []time.Duration{0, time.Millisecond} {
		for _, tr := range []string{"stream", "stream-pipelined", "messenger"} {
			for _, mode := range []string{"latency", "throughput"} {
				b.Run(fmt.Sprintf("delay=%v/%s/%s", lat, tr, mode), func(b *testing.B) { benchCommit(b, lat, tr, mode) })
			}
		}
	}
}

func benchCommit(b *testing.B, lat time.Duration, tr, mode string) {
	c := &rawCluster{tb: b}
	switch tr {
	case "messenger":
		c.msg = NewMemNet(1, 64<<10)
		c.msg.SetLatency(lat)
	default:
		c.net = NewMemNetwork()
		c.net.SetLatency(lat)
		c.pipe = tr == "stream-pipelined"
	}
	var servers []raft.Server
	for i := range 3 {
		id := raft.ServerID(fmt.Sprintf("r%d", i))
		servers = append(servers, raft.Server{ID: id, Address: raft.ServerAddress(id), Suffrage: raft.Voter})
	}
	for _, s := range servers {
		c.add(s.ID, servers, nil)
	}
	defer c.close()
	ld := c.leader()
	data := bytes.Repeat([]byte("e"), 2+281+1)
	// On a loaded machine a leader can miss its 50 ms lease; an entry whose
	// Apply failed that way is applied again on the new leader and the
	// change is reported (leader-changes), not a failure.
	changes := 0
	apply := func() {
		for {
			err := ld.r.Apply(data, 5*time.Second).Error()
			if err == nil {
				return
			}
			if !errors.Is(err, raft.ErrLeadershipLost) && !errors.Is(err, raft.ErrNotLeader) {
				b.Fatal(err)
			}
			changes++
			ld = c.leader()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer func() { b.ReportMetric(float64(changes), "leader-changes") }()
	if mode == "latency" {
		for range b.N {
			apply()
		}
		return
	}
	futures := make([]raft.ApplyFuture, b.N)
	for i := range futures {
		futures[i] = ld.r.Apply(data, 30*time.Second)
	}
	for _, f := range futures {
		if err := f.Error(); err != nil {
			if !errors.Is(err, raft.ErrLeadershipLost) && !errors.Is(err, raft.ErrNotLeader) {
				b.Fatal(err)
			}
			changes++
			ld = c.leader()
			apply()
		}
	}
}
