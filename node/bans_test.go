package node

import (
	"context"
	"crypto/ed25519"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/blocksync"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/link"
)

func linkPeer(n *Node, p link.PeerID) link.PeerInfo {
	for _, pi := range n.Network().Peers() {
		if pi.Peer == p {
			return pi
		}
	}
	return link.PeerInfo{}
}

func peerOf(t *testing.T, k crypto.PrivKey) link.PeerID {
	t.Helper()
	id, err := peer.IDFromPrivateKey(k)
	require.NoError(t, err)
	return id
}

// Bans are kept in the node's database: after a restart from the same
// directory the banned peer is still refused, with the original reason and
// expiry, and a ban that expired while the node was down is gone, from the
// node and from the database.
func TestBansSurviveNodeRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 0)
		n := tn.start(0)
		defer tn.stopAll()
		badKey, briefKey := newKey(t), newKey(t)
		bad, brief := peerOf(t, badKey), peerOf(t, briefKey)
		n.Network().Ban(bad, time.Hour, "sent garbage")
		n.Network().Ban(brief, time.Minute, "brief")
		before := linkPeer(n, bad).Ban
		require.NotNil(t, before)

		tn.stop(0, false)
		time.Sleep(2 * time.Minute) // the brief ban expires while the node is down
		n = tn.start(0)

		after := linkPeer(n, bad).Ban
		require.NotNil(t, after, "the ban was restored from the database")
		require.Equal(t, "sent garbage", after.Reason)
		require.True(t, after.Operator)
		require.True(t, before.Until.Equal(after.Until), "expiry %v, want %v", after.Until, before.Until)
		require.Nil(t, linkPeer(n, brief).Ban)
		stored, err := banStore{db: n.db}.LoadBans()
		require.NoError(t, err)
		require.Len(t, stored, 1, "the expired ban was deleted")
		require.Equal(t, bad, stored[0].Peer)

		h, err := tn.mem.NewHost(bad, link.DefaultConnConfig(), nil, zerolog.Nop())
		require.NoError(t, err)
		defer h.Close()
		_, err = h.Connect(context.Background(), peer.AddrInfo{ID: n.ID()})
		require.ErrorIs(t, err, link.ErrNoLink, "the banned peer is refused")

		n.Network().Unban(bad)
		stored, err = banStore{db: n.db}.LoadBans()
		require.NoError(t, err)
		require.Empty(t, stored, "Unban deletes the stored ban")
	})
}

// The same over libp2p on loopback with the node's own pebble directory:
// the node built from its config file refuses the banned peer after a
// restart.
func TestBansSurviveNodeRestartLibp2p(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	base := DefaultConfig()
	base.Log.Level, base.Log.File, base.Log.Format = "disabled", "", "json"
	_, nodes, err := InitNetwork(NetworkSpec{Dir: t.TempDir(), Nodes: 1, Producers: 1,
		P2PPorts: freePorts(t, 1), AdminPorts: freePorts(t, 1), Base: &base})
	require.NoError(t, err)
	cfg, err := LoadConfig(nodes[0].ConfigFile)
	require.NoError(t, err)
	start := func() *Node {
		n, err := New(cfg, WithLogger(testLogger("n0")))
		require.NoError(t, err)
		require.NoError(t, n.Start(context.Background()))
		return n
	}
	n := start()
	bad, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay(), libp2p.DisableMetrics())
	require.NoError(t, err)
	defer bad.Close()
	n.Network().Ban(bad.ID(), time.Hour, "sent garbage")
	until := linkPeer(n, bad.ID()).Ban.Until
	require.NoError(t, n.Stop())

	n = start()
	defer n.Stop()
	b := linkPeer(n, bad.ID()).Ban
	require.NotNil(t, b)
	require.Equal(t, "sent garbage", b.Reason)
	require.True(t, until.Equal(b.Until))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := n.Network().(*link.Host).AddrInfo()
	if err := bad.Connect(ctx, addr); err == nil {
		_, err = bad.NewStream(ctx, n.ID(), link.ProtocolID)
		require.Error(t, err, "the gater lets no stream of a banned peer through")
	}
}

// A peer that keeps sending invalid blocks is charged for each through
// link.Network.Penalize and ends banned with a reason naming the fault,
// while the node keeps serving an honest peer.
func TestInvalidBlocksGetThePeerBanned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		n := tn.start(0)
		honest := tn.start(1)
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)

		badKey := newKey(t)
		bad := peerOf(t, badKey)
		downs := make(chan error, 1)
		h, err := tn.mem.NewHost(bad, link.DefaultConnConfig(), link.HandlerFuncs{
			OnDisconnected: func(_ link.Link, err error) { downs <- err },
		}, zerolog.Nop())
		require.NoError(t, err)
		defer h.Close()
		raw, err := badKey.Raw()
		require.NoError(t, err)
		invalid := func() []byte { // on the head, signed by a key outside the producer set
			head, _ := n.Head()
			blk, err := block.Seal(block.Header{Height: head.Height + 1, Parent: head.ID, Term: 1,
				Timestamp: time.Now().UnixNano()}, nil, nil, ed25519.PrivateKey(raw))
			require.NoError(t, err)
			return blocksync.Encode(&blocksync.Block{Block: blk})
		}

		var last error
		sent := 0
		for {
			// Reconnect once the node has dropped the last link (else the
			// new one loses to it as a duplicate).
			waitFor(t, 5*time.Second, "the node to drop the link", func() bool { return n.Network().Link(bad) == nil })
			l, err := h.Connect(context.Background(), peer.AddrInfo{ID: n.ID()})
			if err != nil {
				require.ErrorIs(t, err, link.ErrNoLink, "refused once banned")
				break
			}
			require.NoError(t, l.Send(link.LaneBlocks, invalid()))
			sent++
			select {
			case last = <-downs:
			case <-time.After(5 * time.Second):
				t.Fatal("the link was not closed")
			}
			require.Less(t, sent, 10, "never banned")
		}
		cost, threshold := link.DefaultConnConfig().Score.ProtocolPenalty, link.DefaultConnConfig().Score.BanThreshold
		require.Equal(t, int((threshold+cost-1)/cost), sent)
		require.Equal(t, link.ReasonBanned, link.ReasonOf(last), "the last link ended with the ban: %v", last)
		require.ErrorContains(t, last, "unknown-producer")
		ban := linkPeer(n, bad).Ban
		require.NotNil(t, ban)
		require.Contains(t, ban.Reason, string(link.ReasonInvalid))
		require.Contains(t, ban.Reason, "unknown-producer")
		require.Equal(t, uint64(sent), n.Counters().Rejected["unknown-producer"])

		_, irr := honest.Head()
		waitFor(t, 10*time.Second, "the honest peer keeps syncing", func() bool {
			_, now := honest.Head()
			return now.Height >= irr.Height+3
		})
		require.NotNil(t, n.Network().Link(honest.ID()), "the honest peer kept its link")
	})
}
