package transport_test

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// tnode is one node of the test network: a Transport fed by a MemHost.
type tnode struct {
	id    link.PeerID
	nid   route.NodeID
	tr    *transport.Transport
	host  *link.MemHost
	mu    sync.Mutex
	got   []transport.Delivery
	reps  []transport.Reply
	fails []*route.SendError
	pens  []string // "peer reason"
}

func (n *tnode) deliveries() []transport.Delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]transport.Delivery(nil), n.got...)
}

func (n *tnode) replies() []transport.Reply {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]transport.Reply(nil), n.reps...)
}

func (n *tnode) failures() []*route.SendError {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*route.SendError(nil), n.fails...)
}

func (n *tnode) penalties() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.pens...)
}

func testKey(t *testing.T, i int) (ed25519.PrivateKey, link.PeerID) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(i)+100)
	k := ed25519.NewKeyFromSeed(seed)
	pk, err := crypto.UnmarshalEd25519PrivateKey(k)
	require.NoError(t, err)
	id, err := peer.IDFromPrivateKey(pk)
	require.NoError(t, err)
	return k, id
}

// newLine builds n nodes connected 0 - 1 - ... - (n-1) on an in-memory
// network with 2 ms links; routable says which nodes are destinations.
func newLine(t *testing.T, n int, routable func(i int) bool) []*tnode {
	t.Helper()
	nw, err := link.NewMemNetwork(link.MemConfig{Latency: 2 * time.Millisecond})
	require.NoError(t, err)
	nodes := make([]*tnode, n)
	for i := range nodes {
		key, id := testKey(t, i)
		tn := &tnode{id: id}
		cfg := transport.DefaultConfig()
		cfg.Route.Key = key
		cfg.Route.Routable = routable(i)
		cfg.Route.ReplyClasses = []route.Class{route.ClassTransaction}
		cfg.Penalize = func(p link.PeerID, r link.Reason, detail string) {
			tn.mu.Lock()
			tn.pens = append(tn.pens, p.String()+" "+string(r))
			tn.mu.Unlock()
		}
		tn.tr, err = transport.New(cfg)
		require.NoError(t, err)
		tn.nid = tn.tr.ID()
		for _, c := range []route.Class{route.ClassConsensus, route.ClassTransaction, route.ClassApp} {
			tn.tr.Handle(c, func(d transport.Delivery) { tn.mu.Lock(); tn.got = append(tn.got, d); tn.mu.Unlock() })
			tn.tr.HandleReplies(c, func(r transport.Reply) { tn.mu.Lock(); tn.reps = append(tn.reps, r); tn.mu.Unlock() })
			tn.tr.HandleFailures(c, func(e *route.SendError) { tn.mu.Lock(); tn.fails = append(tn.fails, e); tn.mu.Unlock() })
		}
		h := link.HandlerFuncs{
			OnConnected: tn.tr.AddLink,
			OnReceive: func(l link.Link, lane link.Lane, msg []byte) {
				if lane == link.LaneConsensus || lane == link.LaneRouting {
					_ = tn.tr.Receive(l, msg)
				}
			},
			OnDisconnected: func(l link.Link, _ error) { tn.tr.RemoveLink(l) },
		}
		tn.host, err = nw.NewHost(id, link.DefaultConnConfig(), h, zerolog.Nop())
		require.NoError(t, err)
		nodes[i] = tn
	}
	for i := 0; i+1 < n; i++ {
		_, err := nodes[i].host.Connect(context.Background(), peer.AddrInfo{ID: nodes[i+1].id})
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		for _, tn := range nodes {
			_ = tn.tr.Close()
			_ = tn.host.Close()
		}
	})
	time.Sleep(2 * time.Second) // virtual: hellos measure the links, routes converge
	return nodes
}

func all(int) bool { return true }

func TestUnicastMulticastAndReplyAlongALine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newLine(t, 4, all)
		rs := ns[0].tr.Routes()
		require.Len(t, rs, 3)
		for _, r := range rs {
			require.True(t, r.Reachable)
			require.Equal(t, ns[1].id, r.NextHop, "everything from the end of the line goes through node 1")
		}

		seq, err := ns[0].tr.Send(ns[3].nid, route.ClassTransaction, []byte("tx"))
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		got := ns[3].deliveries()
		require.Len(t, got, 1)
		require.Equal(t, ns[0].id, got[0].Peer, "the authenticated origin, not the last hop")
		require.Equal(t, seq, got[0].Seq)
		require.Equal(t, []byte("tx"), got[0].Payload)

		require.NoError(t, ns[3].tr.Reply(got[0], []byte("accepted")))
		time.Sleep(100 * time.Millisecond)
		reps := ns[0].replies()
		require.Len(t, reps, 1)
		require.Equal(t, ns[3].id, reps[0].Peer)
		require.Equal(t, seq, reps[0].Seq)
		require.Equal(t, []byte("accepted"), reps[0].Payload)

		before := ns[1].tr.Stats().Route.DataForwarded
		_, err = ns[0].tr.Multicast([]route.NodeID{ns[1].nid, ns[2].nid, ns[3].nid}, route.ClassApp, []byte("all"))
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		for i := 1; i < 4; i++ {
			d := ns[i].deliveries()
			require.Equal(t, []byte("all"), d[len(d)-1].Payload, "node %d", i)
		}
		require.EqualValues(t, 1, ns[1].tr.Stats().Route.DataForwarded-before,
			"one copy through node 1 serves nodes 2 and 3")
		require.NotZero(t, ns[0].tr.Stats().Route.ControlBytes)
	})
}

func TestValidatorRejectPenalizesTheNeighbour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newLine(t, 4, all)
		ns[2].tr.SetValidator(route.ClassApp, func(route.NodeID, route.Class, []byte) route.Verdict { return route.Reject })
		_, err := ns[0].tr.Send(ns[3].nid, route.ClassApp, []byte("bad"))
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		require.Empty(t, ns[3].deliveries(), "rejected at node 2, never forwarded")
		require.Equal(t, []string{ns[1].id.String() + " " + string(link.ReasonInvalid)}, ns[2].penalties(),
			"node 2 scores the neighbour that handed it the message")
		require.EqualValues(t, 1, ns[2].tr.Stats().Route.Drops[route.ReasonRejected])
	})
}

func TestNoRouteExpiresAsATypedError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Node 3 is not routable: nobody has a route to it.
		ns := newLine(t, 4, func(i int) bool { return i != 3 })
		_, err := ns[0].tr.Send(ns[3].nid, route.ClassApp, []byte("lost"))
		require.NoError(t, err)
		require.Equal(t, 1, ns[0].tr.Stats().QueueDepth, "queued, not dropped")
		time.Sleep(route.DefaultConfig().QueueTTL + 100*time.Millisecond)
		fails := ns[0].failures()
		require.Len(t, fails, 1)
		require.ErrorIs(t, fails[0], route.ErrUndeliverable)
		require.Equal(t, route.ReasonNoRoute, fails[0].Reason)
		require.Equal(t, ns[3].nid, fails[0].Dest)
		require.Zero(t, ns[0].tr.Stats().QueueDepth)
	})
}

func TestMessengerCarriesConsensusByAuthenticatedOrigin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newLine(t, 4, all)
		type msg struct {
			from    peer.ID
			payload string
		}
		got := make(chan msg, 4)
		m3 := ns[3].tr.Messenger(route.ClassConsensus)
		m3.SetHandler(func(from peer.ID, p []byte) { got <- msg{from, string(p)} })
		m0 := ns[0].tr.Messenger(route.ClassConsensus)
		require.Equal(t, route.DefaultLimits().MaxPayload, m0.MaxPayload())
		require.NoError(t, m0.Send(ns[3].id, []byte("append-entries")))
		time.Sleep(100 * time.Millisecond)
		require.Equal(t, msg{ns[0].id, "append-entries"}, <-got)
		_, err := ns[0].tr.Send(ns[3].nid, route.ClassConsensus, make([]byte, m0.MaxPayload()+1))
		require.ErrorIs(t, err, route.ErrPayloadTooLarge)
	})
}

func TestIDsConvertBothWays(t *testing.T) {
	_, id := testKey(t, 1)
	nid, err := transport.NodeIDOf(id)
	require.NoError(t, err)
	back, err := transport.PeerIDOf(nid)
	require.NoError(t, err)
	require.Equal(t, id, back)
	_, err = transport.NodeIDOf(peer.ID("not a key"))
	require.Error(t, err)
}
