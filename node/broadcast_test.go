package node

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

const testTopic Topic = 42

// inbox collects one node's messages of testTopic.
type inbox struct {
	mu  sync.Mutex
	got []Message
}

func (b *inbox) add(m Message) { b.mu.Lock(); b.got = append(b.got, m); b.mu.Unlock() }
func (b *inbox) list() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.got...)
}

// startBroadcastNet starts `nodes` nodes (the first `producers` produce)
// over real libp2p on loopback, wired as a line, each with testTopic
// registered (payloads starting with "bad" are rejected) and an inbox.
func startBroadcastNet(t *testing.T, nodes, producers int) ([]*Node, []*inbox) {
	t.Helper()
	base := DefaultConfig()
	base.Consensus.BlockInterval = Duration{Duration: 100 * time.Millisecond}
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, specs, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: nodes, Producers: producers,
		P2PPorts: freePorts(t, nodes), AdminPorts: freePorts(t, nodes), Base: &base, Topology: TopologyLine})
	require.NoError(t, err)
	var ns []*Node
	var boxes []*inbox
	t.Cleanup(func() {
		for _, n := range ns {
			require.NoError(t, n.Stop())
		}
	})
	reject := func(_ link.PeerID, p []byte) Verdict {
		if len(p) >= 3 && string(p[:3]) == "bad" {
			return Reject
		}
		return Accept
	}
	for _, nd := range specs {
		cfg, err := LoadConfig(nd.ConfigFile)
		require.NoError(t, err)
		n, err := New(cfg, WithLogger(testLogger(nd.Name)), WithTopic(testTopic, 64<<10, reject))
		require.NoError(t, err)
		b := &inbox{}
		n.SubscribeTopic(testTopic, b.add) // before Start: nothing is missed
		require.NoError(t, n.Start(context.Background()))
		ns, boxes = append(ns, n), append(boxes, b)
	}
	// Links as the broadcast driver sees them (Connected has run): a
	// message sent before a link is up never crosses it.
	waitFor(t, 30*time.Second, "every link of the line up", func() bool {
		for i, n := range ns {
			want := 2
			if i == 0 || i == len(ns)-1 {
				want = 1
			}
			if n.BroadcastInfo().Links < want {
				return false
			}
		}
		return true
	})
	return ns, boxes
}

// TestMessagingAPIOverLibp2p drives the embedder's API on five real nodes
// in a line (two producers at the head): a network broadcast reaches
// every node once, Wait and Get find it, a multicast to the producers
// reaches only them, a direct Send reaches its peer, and errors are typed.
func TestMessagingAPIOverLibp2p(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ns, boxes := startBroadcastNet(t, 5, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	d, err := ns[0].Broadcast(ctx, testTopic, []byte("to everyone"), ToAll())
	require.NoError(t, err)
	m, err := ns[4].Wait(ctx, d)
	require.NoError(t, err, "four hops away")
	require.Equal(t, []byte("to everyone"), m.Payload)
	require.Equal(t, ns[0].ID(), m.Origin)
	waitFor(t, 10*time.Second, "every node delivered the broadcast", func() bool {
		for i := 1; i < 5; i++ {
			if len(boxes[i].list()) != 1 {
				return false
			}
		}
		return true
	})
	got, ok := ns[2].Get(d)
	require.True(t, ok)
	require.Equal(t, d, got.Digest)
	require.Empty(t, boxes[0].list(), "not delivered to its own origin")

	// The full node at the tail reaches the producers by routed multicast,
	// once routes to both exist.
	waitFor(t, 20*time.Second, "routes to the producers", func() bool {
		reach := 0
		for _, r := range ns[4].Routes() {
			if r.Reachable {
				reach++
			}
		}
		return reach >= 2
	})
	_, err = ns[4].Broadcast(ctx, testTopic, []byte("to producers"), ToProducers())
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "both producers got the multicast", func() bool {
		return len(boxes[0].list()) == 1 && len(boxes[1].list()) == 2
	})
	_, err = ns[3].Send(ctx, ns[2].ID(), testTopic, []byte("neighbour"))
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "the direct send", func() bool { return len(boxes[2].list()) == 2 })
	time.Sleep(200 * time.Millisecond) // a stray copy would arrive by now
	require.Len(t, boxes[2].list(), 2, "the multicast to the producers did not reach node 2")
	require.Len(t, boxes[3].list(), 1)
	require.Len(t, boxes[4].list(), 1)

	_, err = ns[0].Broadcast(ctx, 7, []byte("x"), ToAll())
	require.ErrorIs(t, err, ErrUnknownTopic)
	_, err = ns[0].Broadcast(ctx, testTopic, make([]byte, 64<<10+1), ToAll())
	require.ErrorIs(t, err, ErrTooLarge)
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	_, err = ns[1].Wait(short, Digest{9})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A rejected message is penalized at the first hop and goes no further.
	_, err = ns[0].Broadcast(ctx, testTopic, []byte("bad message"), ToAll())
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "node 1 refused it", func() bool { return ns[1].BroadcastInfo().Refused["rejected"] == 1 })
	require.Len(t, boxes[2].list(), 2)
	require.NotZero(t, ns[1].Counters().Rejected["broadcast-fault"], "the sender is scored")

	info := ns[2].BroadcastInfo()
	require.Equal(t, 2, info.Links)
	require.Equal(t, 2, info.Producers)
	require.NotZero(t, info.Entries)
	require.NotEmpty(t, info.Deques)
}
