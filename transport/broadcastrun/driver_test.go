package broadcastrun_test

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
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/broadcastrun"
)

const topicChat broadcast.Topic = 7

// bnode is one node of the test network: a MemHost feeding a Transport and
// a broadcast Driver, as node.Node wires them.
type bnode struct {
	id   link.PeerID
	tr   *transport.Transport
	d    *broadcastrun.Driver
	host *link.MemHost
	mu   sync.Mutex
	got  []broadcastrun.Message
	pens []string
}

func (n *bnode) messages() []broadcastrun.Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]broadcastrun.Message(nil), n.got...)
}

func (n *bnode) penalties() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.pens...)
}

func testKey(t *testing.T, i int) (ed25519.PrivateKey, link.PeerID) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(i)+300)
	k := ed25519.NewKeyFromSeed(seed)
	pk, err := crypto.UnmarshalEd25519PrivateKey(k)
	require.NoError(t, err)
	id, err := peer.IDFromPrivateKey(pk)
	require.NoError(t, err)
	return k, id
}

// rejectBad refuses payloads starting with "bad".
func rejectBad(_ broadcast.NodeID, _ broadcast.Topic, p []byte) broadcast.Verdict {
	if len(p) >= 3 && string(p[:3]) == "bad" {
		return broadcast.Reject
	}
	return broadcast.Accept
}

// newNet builds n nodes on an in-memory network with 2 ms links, connected
// by edges; routable says which nodes are routing destinations.
func newNet(t *testing.T, n int, edges [][2]int, routable func(i int) bool) []*bnode {
	t.Helper()
	nw, err := link.NewMemNetwork(link.MemConfig{Latency: 2 * time.Millisecond})
	require.NoError(t, err)
	nodes := make([]*bnode, n)
	for i := range nodes {
		key, id := testKey(t, i)
		bn := &bnode{id: id}
		penalize := func(p link.PeerID, r link.Reason, detail string) {
			bn.mu.Lock()
			bn.pens = append(bn.pens, p.String()+" "+string(r))
			bn.mu.Unlock()
		}
		tc := transport.DefaultConfig()
		tc.Route.Key, tc.Route.Routable = key, routable(i)
		bn.tr, err = transport.New(tc)
		require.NoError(t, err)
		cfg := broadcastrun.DefaultConfig()
		cfg.Engine.Key = key
		cfg.Engine.Topics = map[broadcast.Topic]broadcast.TopicConfig{topicChat: {MaxSize: 4096, Validator: rejectBad}}
		cfg.Penalize = penalize
		bn.d, err = broadcastrun.New(cfg)
		require.NoError(t, err)
		require.NoError(t, bn.d.Start(bn.tr))
		bn.d.Handle(topicChat, func(m broadcastrun.Message) { bn.mu.Lock(); bn.got = append(bn.got, m); bn.mu.Unlock() })
		h := link.HandlerFuncs{
			OnConnected: func(l link.Link) { bn.tr.AddLink(l); bn.d.AddLink(l) },
			OnReceive: func(l link.Link, lane link.Lane, msg []byte) {
				switch {
				case lane == link.LaneRouting && broadcastrun.IsFrame(msg):
					_ = bn.d.Receive(l, msg)
				case lane == link.LaneConsensus || lane == link.LaneRouting:
					_ = bn.tr.Receive(l, msg)
				}
			},
			OnDisconnected: func(l link.Link, _ error) { bn.tr.RemoveLink(l); bn.d.RemoveLink(l) },
		}
		bn.host, err = nw.NewHost(id, link.DefaultConnConfig(), h, zerolog.Nop())
		require.NoError(t, err)
		nodes[i] = bn
	}
	for _, e := range edges {
		_, err := nodes[e[0]].host.Connect(context.Background(), peer.AddrInfo{ID: nodes[e[1]].id})
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		for _, bn := range nodes {
			_ = bn.d.Close()
			_ = bn.tr.Close()
			_ = bn.host.Close()
		}
	})
	time.Sleep(2 * time.Second) // virtual: routes converge
	return nodes
}

func line(n int) [][2]int {
	var es [][2]int
	for i := 0; i+1 < n; i++ {
		es = append(es, [2]int{i, i + 1})
	}
	return es
}

func all(int) bool { return true }

func TestBroadcastToAllReachesEveryNodeOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A ring of 6 with two chords: several paths to every node.
		es := append(line(6), [2]int{5, 0}, [2]int{0, 3}, [2]int{1, 4})
		ns := newNet(t, 6, es, all)
		var dgs []broadcast.Digest
		for i := range 5 {
			dg, sent, err := ns[0].d.Broadcast(topicChat, []byte{'m', byte(i)}, broadcastrun.All())
			require.NoError(t, err)
			require.Len(t, sent, 3, "every link of node 0 gets a body or an announcement")
			dgs = append(dgs, dg)
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		for i := 1; i < 6; i++ {
			got := ns[i].messages()
			require.Len(t, got, 5, "node %d: each message delivered exactly once", i)
			for j, m := range got {
				require.Equal(t, ns[0].id, m.Origin)
				require.Equal(t, dgs[j], m.Digest)
				require.Equal(t, []byte{'m', byte(j)}, m.Payload)
			}
			m, err := ns[i].d.Wait(context.Background(), dgs[2])
			require.NoError(t, err, "node %d: cached, answered at once", i)
			require.Equal(t, []byte{'m', 2}, m.Payload)
			_, ok := ns[i].d.Get(dgs[4])
			require.True(t, ok)
			require.Empty(t, ns[i].penalties())
		}
		require.Empty(t, ns[0].messages(), "our own messages are not delivered to us")
		var bodies uint64
		for i := 1; i < 6; i++ {
			bodies += ns[i].d.Info().Bodies[topicChat]
		}
		// The first message floods (Plumtree builds the tree); the later
		// four cost one body per node: at most 2 × 5 copies per node.
		require.LessOrEqual(t, bodies, uint64(5*5*2))
	})
}

func TestWaitArrivesLaterAndCancelsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newNet(t, 3, line(3), all)
		// A digest nobody will send: the context ends the wait and the
		// waiter is cancelled in the core.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := ns[2].d.Wait(ctx, broadcast.Digest{1})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Zero(t, ns[2].d.Info().Waiters)
		require.EqualValues(t, 1, ns[2].d.Info().Stats["subscribe_gone"])

		// A wait that starts before the message exists is answered on
		// arrival.
		type res struct {
			m   broadcastrun.Message
			err error
		}
		got := make(chan res, 1)
		// Broadcast returns the digest before the frame has crossed the 2 ms
		// link (virtual time stands still until every goroutine blocks), so
		// node 1's wait is registered before the message arrives.
		dg, _, err := ns[0].d.Broadcast(topicChat, []byte("hello"), broadcastrun.Peers(ns[1].id))
		require.NoError(t, err)
		go func() { m, err := ns[1].d.Wait(context.Background(), dg); got <- res{m, err} }()
		r := <-got
		require.NoError(t, r.err)
		require.Equal(t, []byte("hello"), r.m.Payload)
		st := ns[1].d.Info().Stats
		require.EqualValues(t, 1, st["subscribe_wait"], "answered on arrival")
		require.Zero(t, st["subscribe_hit"])
	})
}

func TestPeersRecipientsAreNeverRelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newNet(t, 3, line(3), all)
		_, sent, err := ns[0].d.Broadcast(topicChat, []byte("direct"), broadcastrun.Peers(ns[1].id, ns[2].id))
		require.NoError(t, err)
		require.Equal(t, []link.PeerID{ns[1].id}, sent, "node 2 is no direct peer of node 0: skipped")
		time.Sleep(time.Second)
		require.Len(t, ns[1].messages(), 1)
		require.Empty(t, ns[2].messages(), "a direct message is not relayed")
	})
}

func TestNodeWithoutALinkIsReachedByRoutedUnicast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newNet(t, 3, line(3), all)
		_, sent, err := ns[0].d.Broadcast(topicChat, []byte("routed"), broadcastrun.Node(ns[2].id))
		require.NoError(t, err)
		require.Empty(t, sent, "no direct peer: the router carries it")
		time.Sleep(time.Second)
		got := ns[2].messages()
		require.Len(t, got, 1)
		require.Equal(t, ns[0].id, got[0].Origin)
		require.Equal(t, ns[0].id, got[0].From, "routed: from is the authenticated origin")
		require.Empty(t, ns[1].messages(), "the relay forwards the routed message, it does not deliver it")
	})
}

func TestProducersGetARoutedMulticast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newNet(t, 4, line(4), func(i int) bool { return i >= 2 })
		for _, n := range ns {
			n.d.SetProducers([]link.PeerID{ns[2].id, ns[3].id})
		}
		_, _, err := ns[0].d.Broadcast(topicChat, []byte("to producers"), broadcastrun.Producers())
		require.NoError(t, err)
		time.Sleep(time.Second)
		require.Empty(t, ns[1].messages())
		require.Len(t, ns[2].messages(), 1)
		require.Len(t, ns[3].messages(), 1)
		require.Equal(t, 2, ns[0].d.Info().Producers)
	})
}

func TestFaultsArePenalizedOnTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newNet(t, 3, line(3), all)
		// A rejected message: node 1 rejects it and scores node 0, and never
		// forwards it to node 2.
		_, _, err := ns[0].d.Broadcast(topicChat, []byte("bad idea"), broadcastrun.All())
		require.NoError(t, err)
		time.Sleep(time.Second)
		require.Equal(t, []string{ns[0].id.String() + " " + string(link.ReasonInvalid)}, ns[1].penalties())
		require.Empty(t, ns[2].messages())
		require.EqualValues(t, 1, ns[1].d.Info().Refused[broadcast.ReasonRejected])

		// A tagged frame that does not decode scores the link's peer.
		l := ns[2].host.Link(ns[1].id)
		require.NotNil(t, l)
		require.NoError(t, l.Send(link.LaneRouting, []byte{broadcastrun.FrameTag, broadcast.Version, 99}))
		time.Sleep(100 * time.Millisecond)
		pens := ns[1].penalties()
		require.Len(t, pens, 2)
		require.Equal(t, ns[2].id.String()+" "+string(link.ReasonInvalid), pens[1])
		require.Empty(t, ns[1].d.Info().Drops, "no driver drops on a healthy network")
	})
}

func TestLocalErrorsAreTyped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newNet(t, 2, line(2), all)
		d := ns[0].d
		_, _, err := d.Broadcast(99, []byte("x"), broadcastrun.All())
		require.ErrorIs(t, err, broadcastrun.ErrUnknownTopic)
		_, _, err = d.Broadcast(topicChat, make([]byte, 4097), broadcastrun.All())
		require.ErrorIs(t, err, broadcastrun.ErrTooLarge)
		_, _, err = d.Broadcast(topicChat, []byte("x"), broadcastrun.Producers())
		require.ErrorIs(t, err, broadcastrun.ErrNoRecipients, "no producer set installed")
		_, _, err = d.Broadcast(topicChat, []byte("x"), broadcastrun.Peers())
		require.ErrorIs(t, err, broadcastrun.ErrNoRecipients)

		key, _ := testKey(t, 9)
		cfg := broadcastrun.DefaultConfig()
		cfg.Engine.Key = key
		cfg.Engine.Topics = map[broadcast.Topic]broadcast.TopicConfig{topicChat: {MaxSize: 16}}
		lone, err := broadcastrun.New(cfg)
		require.NoError(t, err)
		_, _, err = lone.Broadcast(topicChat, []byte("x"), broadcastrun.All())
		require.ErrorIs(t, err, broadcastrun.ErrNotStarted)
		require.NoError(t, lone.Start(nil))
		_, _, err = lone.Broadcast(topicChat, []byte("x"), broadcastrun.Node(ns[1].id))
		require.ErrorIs(t, err, broadcastrun.ErrNoRoute, "no link and no router")
		require.NoError(t, lone.Close())
		_, _, err = lone.Broadcast(topicChat, []byte("x"), broadcastrun.All())
		require.ErrorIs(t, err, broadcastrun.ErrClosed)
		_, err = lone.Wait(context.Background(), broadcast.Digest{})
		require.ErrorIs(t, err, broadcastrun.ErrClosed)

		cfg.Engine.Limits.MaxPayload = broadcastrun.MaxLinkPayload + 1
		_, err = broadcastrun.New(cfg)
		require.Error(t, err)
	})
}
