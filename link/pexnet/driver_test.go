package pexnet_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/link/linktest"
	"github.com/blockwire/blockwire/link/pex"
	"github.com/blockwire/blockwire/link/pexnet"
)

func newPeerID(t *testing.T) link.PeerID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	id, err := peer.IDFromPublicKey(pub)
	require.NoError(t, err)
	return id
}

// node is a mem host with a discovery driver wired as node/ wires it.
type node struct {
	host *link.MemHost
	drv  *pexnet.Driver
	addr string
}

func addrOf(i int) string { return fmt.Sprintf("/ip4/10.0.0.%d/tcp/9000", i+1) }

func startNodes(t *testing.T, mn *link.MemNetwork, n int, target, maxPeers int) []*node {
	t.Helper()
	ids := make([]link.PeerID, n)
	for i := range ids {
		ids[i] = newPeerID(t)
	}
	seed := addrOf(0) + "/p2p/" + ids[0].String()
	nodes := make([]*node, n)
	for i := range nodes {
		nd := &node{addr: addrOf(i)}
		h := link.HandlerFuncs{
			OnConnected:    func(l link.Link) { nd.drv.Connected(l) },
			OnDisconnected: func(l link.Link, err error) { nd.drv.Disconnected(l, err) },
			OnReceive: func(l link.Link, lane link.Lane, msg []byte) {
				if lane == link.LaneRouting && pex.IsFrame(msg) {
					nd.drv.Receive(l, msg)
				}
			},
		}
		host, err := mn.NewHost(ids[i], linktest.Config(), h, zerolog.Logger{})
		require.NoError(t, err)
		nd.host = host
		cfg := pexnet.DefaultConfig()
		cfg.Book.TargetPeers, cfg.Book.MaxPeers, cfg.Book.MaxPerGroup = target, maxPeers, 0
		cfg.Self = []string{nd.addr}
		if i > 0 {
			cfg.Seeds = []string{seed}
		}
		cfg.Probe = func(context.Context, []string) error { return nil }
		cfg.RemoteIP = func(link.PeerID) string { return "" }
		nd.drv, err = pexnet.New(cfg, host)
		require.NoError(t, err)
		nodes[i] = nd
	}
	for _, nd := range nodes {
		nd.drv.Start()
	}
	return nodes
}

func stopNodes(nodes []*node) {
	for _, nd := range nodes {
		nd.drv.Close()
	}
	for _, nd := range nodes {
		_ = nd.host.Close()
	}
}

// Over real links (in memory, virtual time): nodes that know one seed
// reach their target, the seed sheds down to max_peers, and /peers/book
// reports when each node reached its target. Within 60 s of virtual
// time: before a seed that shed us was retried early (pex.Book's
// seedBackoff), a node that had learned only the seed's first one or two
// verified nodes was shed by all of them and sat with 0 links until the
// minute's FullBackoff ended (7 failing nodes in 40 -race runs; 0 in 100
// since).
func TestDiscoveryFromOneSeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mn, err := link.NewMemNetwork(link.MemConfig{Latency: 2 * time.Millisecond})
		require.NoError(t, err)
		nodes := startNodes(t, mn, 12, 3, 5)
		defer stopNodes(nodes)
		time.Sleep(60 * time.Second)
		synctest.Wait()
		for i, nd := range nodes {
			snap, err := nd.drv.Snapshot(context.Background())
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(nd.host.Links()), 3, "node %d", i)
			require.LessOrEqual(t, len(nd.host.Links()), 5, "node %d", i)
			require.GreaterOrEqual(t, snap.ReachedAfterMs, int64(0), "node %d", i)
		}
	})
}

// A hostile peer that floods requests and pushes junk it was not asked
// for is charged through the link's scoring until banned; the book stays
// bounded and keeps no junk.
func TestHostilePeerIsScoredAndBookBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mn, err := link.NewMemNetwork(link.MemConfig{Latency: time.Millisecond})
		require.NoError(t, err)
		nodes := startNodes(t, mn, 1, 2, 4)
		defer stopNodes(nodes)
		evil, err := mn.NewHost(newPeerID(t), linktest.Config(), nil, zerolog.Logger{})
		require.NoError(t, err)
		defer evil.Close()
		l, err := evil.Connect(context.Background(), peer.AddrInfo{ID: nodes[0].host.ID()})
		require.NoError(t, err)
		var junk []pex.Entry
		for i := range 32 {
			junk = append(junk, pex.Entry{ID: pex.PeerID(newPeerID(t)), Addrs: []string{fmt.Sprintf("/ip4/10.66.0.%d/tcp/1", i+1)}})
		}
		answer := pex.Msg{Type: pex.TypeAddrs, Entries: junk}.AppendTo(nil)
		req := pex.Msg{Type: pex.TypeRequest}.AppendTo(nil)
		for range 20 {
			_ = l.Send(link.LaneRouting, req)
			_ = l.Send(link.LaneRouting, answer)
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		var banned bool
		for _, pi := range nodes[0].host.Peers() {
			if pi.Peer == evil.ID() && pi.Ban != nil {
				banned = true
				require.Contains(t, pi.Ban.Reason, "pex")
			}
		}
		require.True(t, banned, "the flooder is banned")
		snap, err := nodes[0].drv.Snapshot(context.Background())
		require.NoError(t, err)
		require.LessOrEqual(t, len(snap.Entries), 32+1, "one answer at most was taken (the one we asked for)")
		require.Positive(t, snap.Stats.Penalties)
	})
}
