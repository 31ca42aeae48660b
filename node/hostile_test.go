package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

// A peer that sends a block signed by a key outside the producer set is
// disconnected, with the reason in the disconnect it receives, and the
// refusal is counted.
func TestBlockFromUnknownProducerClosesTheLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 0)
		n := tn.start(0)
		defer tn.stopAll()

		bad := newKey(t)
		badID, err := peer.IDFromPrivateKey(bad)
		require.NoError(t, err)
		closed := make(chan error, 1)
		h, err := tn.mem.NewHost(badID, link.DefaultConnConfig(), link.HandlerFuncs{
			OnDisconnected: func(_ link.Link, err error) { closed <- err },
		}, zerolog.Nop())
		require.NoError(t, err)
		defer h.Close()
		l, err := h.Connect(context.Background(), peer.AddrInfo{ID: n.ID()})
		require.NoError(t, err)

		raw, err := bad.Raw()
		require.NoError(t, err)
		g := tn.genesis.GenesisBlock()
		blk, err := block.Seal(block.Header{Height: 2, Parent: g.ID(), Term: 1, StateRoot: g.StateRoot,
			Timestamp: time.Now().UnixNano()}, nil, nil, ed25519.PrivateKey(raw))
		require.NoError(t, err)
		require.NoError(t, l.Send(link.LaneBlocks, blocksync.Encode(&blocksync.Block{Block: blk})))

		select {
		case err := <-closed:
			require.ErrorContains(t, err, "unknown-producer")
		case <-time.After(5 * time.Second):
			t.Fatal("the link was not closed")
		}
		require.Equal(t, uint64(1), n.Counters().Rejected["unknown-producer"])
	})
}

func TestEventsReportHeadsIrreversibleAndPeers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		n := tn.start(0)
		sub := n.Subscribe(256)
		tn.start(1)
		seen := map[EventKind]bool{}
		waitFor(t, 5*time.Second, "every event kind but disconnect", func() bool {
			for {
				select {
				case e := <-sub.C():
					seen[e.Kind] = true
					continue
				default:
				}
				return seen[EventHead] && seen[EventIrreversible] && seen[EventPeerConnected]
			}
		})
		tn.stop(1, false)
		waitFor(t, 5*time.Second, "a disconnect event", func() bool {
			for {
				select {
				case e := <-sub.C():
					if e.Kind == EventPeerDisconnected {
						require.NotEmpty(t, e.Reason)
						return true
					}
					continue
				default:
				}
				return false
			}
		})

		// A subscriber that never reads loses events, the node does not stall.
		slow := n.Subscribe(1)
		tn.irreversibleAtLeast(n.lastIrr()+5, 5*time.Second)
		require.Positive(t, slow.Dropped())
		slow.Close()
		tn.stopAll()
		for range sub.C() { // ends only because Stop closes subscriptions
		}
	})
}

func (n *Node) lastIrr() uint64 {
	_, irr := n.Head()
	return irr.Height
}

// An operator turns a full node's only link off: it stops receiving bodies
// (announcements still flow), and catches up once the link is active again.
func TestSetPeerModeOffStopsBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		prod, full := tn.specs[0].n, tn.specs[1].n
		tn.irreversibleAtLeast(3, 5*time.Second)
		require.NoError(t, prod.SetPeerMode(context.Background(), full.ID(), link.ModeOff))
		time.Sleep(100 * time.Millisecond) // bodies in flight land
		stuck, _ := full.Head()
		time.Sleep(time.Second)
		now, _ := full.Head()
		require.Equal(t, stuck.Height, now.Height, "no bodies over an off link")
		require.NoError(t, prod.SetPeerMode(context.Background(), full.ID(), link.ModeActive))
		tn.converged(5 * time.Second)
	})
}

func TestStatusJSONUsesHex(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 0)
		n := tn.start(0)
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 5*time.Second)
		data, err := json.Marshal(n.Status())
		require.NoError(t, err)
		require.Contains(t, string(data), `"genesis":"`+n.Genesis().ID().Hex()+`"`)
	})
}

// Turning a link off on the link layer itself (not through SetPeerMode)
// makes blocksync follow instead of failing the link.
func TestLinkModeOffOnTheLinkLayerIsFollowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		prod, full := tn.specs[0].n, tn.specs[1].n
		tn.irreversibleAtLeast(3, 5*time.Second)
		prod.Network().Link(full.ID()).SetMode(link.ModeOff)
		time.Sleep(time.Second)
		require.NotNil(t, prod.Network().Link(full.ID()), "the link stays up")
		require.NoError(t, prod.SetPeerMode(context.Background(), full.ID(), link.ModeActive))
		tn.converged(5 * time.Second)
	})
}

// hostilePeer connects a fresh identity to n over the in-memory network.
func hostilePeer(t *testing.T, tn *testNet, n *Node) (link.Link, link.PeerID) {
	t.Helper()
	k := newKey(t)
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	h, err := tn.mem.NewHost(id, link.DefaultConnConfig(), link.HandlerFuncs{}, zerolog.Nop())
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	l, err := h.Connect(context.Background(), peer.AddrInfo{ID: n.ID()})
	require.NoError(t, err)
	return l, id
}

// Issue 11, attack 2: hellos naming an old irreversible block cost no body
// read (a header record and the cheap height checks answer them), and the
// excess over the announcement budget is dropped and charged. Before the
// fix each hello read and decoded the whole block on the loop.
func TestHellosNamingAnOldBlockReadNoBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 0)
		n := tn.start(0)
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 10*time.Second)
		old, err := n.chain.Log().IDAt(2)
		require.NoError(t, err)

		l, bad := hostilePeer(t, tn, n)
		before := n.chain.Log().BodyReads()
		const hellos = 3000
		for range hellos {
			require.NoError(t, l.Send(link.LaneSync, blocksync.Encode(&blocksync.Hello{ID: old, Head: true})))
		}
		waitFor(t, 10*time.Second, "the hellos handled", func() bool {
			return n.Counters().Rejected["blocksync-flood"] > 0
		})
		time.Sleep(time.Second)
		require.Less(t, n.chain.Log().BodyReads()-before, uint64(10), "hellos must not read block bodies")
		require.Less(t, linkPeer(n, bad).Score, 0.0, "the flood is charged")
	})
}
