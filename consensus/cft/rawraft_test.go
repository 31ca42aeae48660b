package cft

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// rawCluster is bare hashicorp/raft (MockFSM, in-memory stores) over
// either transport this package offers, for transport-level scenarios and
// benchmarks: the engine and pebble are left out so only the transport
// differs between runs.
type rawCluster struct {
	tb    testing.TB
	msg   *MemNet     // raft over MsgTransport, or
	net   *MemNetwork // raft's NetworkTransport over the guarded stream layer
	pipe  bool        // stream only: MaxRPCsInFlight 2 (raft's pipelining on)
	nodes []*rawNode
	ids   []raft.ServerID
}

type rawNode struct {
	id    raft.ServerID
	r     *raft.Raft
	fsm   *raft.MockFSM
	trans raft.Transport
}

func rawRaftConfig(id raft.ServerID) *raft.Config {
	c := DefaultConfig()
	c.LocalID = id
	rc := c.raftConfig()
	rc.Logger = hclog.NewNullLogger()
	return rc
}

// add starts a node; bootstrap lists the initial servers (nil: joins later).
func (c *rawCluster) add(id raft.ServerID, bootstrap []raft.Server, tune func(*raft.Config)) *rawNode {
	c.tb.Helper()
	c.ids = append(c.ids, id)
	n := &rawNode{id: id, fsm: &raft.MockFSM{}}
	members := func() *Membership { return &Membership{Extra: c.ids} }
	cfg := DefaultConfig()
	if c.msg != nil {
		mt := mustMsgTransport(c.tb, c.msg.Messenger(peer.ID(id)), RawNames{}, raft.ServerAddress(id), cfg.msgTimeouts(), zerolog.Nop(), nil)
		defer mt.Start(members)
		n.trans = mt
	} else {
		g := newGuard(c.net.Layer(raft.ServerAddress(id)), func(*RefusedError) {})
		defer g.start(members)
		inflight := 1
		if c.pipe {
			inflight = 2
		}
		n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: g, MaxPool: cfg.MaxPool,
			Timeout: cfg.RPCTimeout, Logger: hclog.NewNullLogger(), MaxRPCsInFlight: inflight})
	}
	rc := rawRaftConfig(id)
	if tune != nil {
		tune(rc)
	}
	logs, stable, snaps := raft.NewInmemStore(), raft.NewInmemStore(), raft.NewInmemSnapshotStore()
	if bootstrap != nil {
		require.NoError(c.tb, raft.BootstrapCluster(rc, logs, stable, snaps, n.trans, raft.Configuration{Servers: bootstrap}))
	}
	r, err := raft.NewRaft(rc, n.fsm, logs, stable, snaps, n.trans)
	require.NoError(c.tb, err)
	n.r = r
	c.nodes = append(c.nodes, n)
	return n
}

func newRawCluster(tb testing.TB, msg *MemNet, net *MemNetwork, size int, tune func(*raft.Config)) *rawCluster {
	c := &rawCluster{tb: tb, msg: msg, net: net}
	var servers []raft.Server
	for i := range size {
		id := raft.ServerID(fmt.Sprintf("r%d", i))
		servers = append(servers, raft.Server{ID: id, Address: raft.ServerAddress(id), Suffrage: raft.Voter})
	}
	for _, s := range servers {
		c.add(s.ID, servers, tune)
	}
	return c
}

func (c *rawCluster) leader() *rawNode {
	c.tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, n := range c.nodes {
			if n.r.State() == raft.Leader {
				return n
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.tb.Fatal("no leader")
	return nil
}

func (c *rawCluster) close() {
	for _, n := range c.nodes {
		f := n.r.Shutdown()
		if wc, ok := n.trans.(raft.WithClose); ok {
			_ = wc.Close()
		}
		_ = f.Error()
	}
}
