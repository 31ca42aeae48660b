package status

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/chain/genesis"
	"github.com/blockwire/blockwire/link"
)

// Ref names a block by its header's fields, its id and its timestamp in
// UTC; no header is the zero ref.
func TestRefNamesABlock(t *testing.T) {
	require.Equal(t, BlockRef{}, Ref(nil))
	h := &block.SignedHeader{Header: block.Header{Height: 7, Term: 3, Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano()}}
	h.Producer[0] = 9
	r := Ref(h)
	require.Equal(t, h.ID(), r.ID)
	require.Equal(t, uint64(7), r.Height)
	require.Equal(t, uint64(3), r.Term)
	require.Equal(t, h.Producer, r.Producer)
	require.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), r.Timestamp)
	require.Equal(t, time.UTC, r.Timestamp.Location())
}

// MergePeers joins blocksync's view to the connected peers only, sums the
// lanes, marks producers and sorts by peer id.
func TestMergePeersJoinsLinkAndBlocksyncViews(t *testing.T) {
	a, b, c := link.PeerID("a"), link.PeerID("b"), link.PeerID("c")
	st := &link.Stats{Direction: link.Outbound, RTT: 1500 * time.Microsecond, Uptime: 61*time.Second + 400*time.Millisecond}
	st.Lanes[0] = link.LaneStats{QueuedBytes: 10, BytesIn: 100, BytesOut: 1000}
	st.Lanes[1] = link.LaneStats{QueuedBytes: 5, BytesIn: 50, BytesOut: 500}
	infos := []link.PeerInfo{{Peer: c}, {Peer: a, Connected: true, Stats: st}, {Peer: b}}
	var head block.ID
	head[0] = 1
	facts := PeerFacts{
		Producer: func(p link.PeerID) bool { return p == a },
		Address:  func(p link.PeerID) string { return map[link.PeerID]string{a: "/ip4/127.0.0.2/tcp/1"}[p] },
		Sync: map[link.PeerID]PeerSync{a: {State: "ready", Head: head, VerifiedHeight: 4, InFlight: 64,
			Sent: 2, Received: 3, Dup: 1, Tree: map[string]string{"p": "active"}}},
	}
	out := MergePeers(infos, facts)
	require.Len(t, out, 3)
	require.Equal(t, []link.PeerID{a, b, c}, []link.PeerID{out[0].Peer, out[1].Peer, out[2].Peer})
	pa := out[0]
	require.True(t, pa.Producer)
	require.Equal(t, "/ip4/127.0.0.2/tcp/1", pa.Address)
	require.Equal(t, "ready", pa.SyncState)
	require.Equal(t, head, pa.PeerHead)
	require.Equal(t, uint64(4), pa.VerifiedHead)
	require.Equal(t, uint64(64), pa.InFlight)
	require.Equal(t, []uint64{2, 3, 1}, []uint64{pa.BlocksSent, pa.BlocksRecv, pa.Duplicates})
	require.Equal(t, map[string]string{"p": "active"}, pa.Tree)
	require.Equal(t, int64(15), pa.QueuedBytes)
	require.Equal(t, uint64(150), pa.BytesIn)
	require.Equal(t, uint64(1500), pa.BytesOut)
	require.Equal(t, link.Outbound.String(), pa.Direction)
	require.Equal(t, "1.5ms", pa.RTT)
	require.Equal(t, "1m1s", pa.Uptime)
	for _, p := range out[1:] {
		require.False(t, p.Producer)
		require.Empty(t, p.SyncState, "no blocksync state for a peer not connected")
		require.Empty(t, p.Address)
		require.Zero(t, p.BytesIn)
		require.Empty(t, p.RTT)
	}
}

// ProducerList keeps the key order, names the genesis producers and
// leaves a producer a change added unnamed.
func TestProducerListNamesGenesisProducers(t *testing.T) {
	var k1, k2 block.PublicKey
	k1[0], k2[0] = 1, 2
	peers := map[block.PublicKey]link.PeerID{k1: "p1", k2: "p2"}
	named := []genesis.Producer{{Name: "alpha", PeerID: link.PeerID("p2").String()}}
	out := ProducerList(named, []block.PublicKey{k1, k2}, func(k block.PublicKey) link.PeerID { return peers[k] })
	require.Equal(t, []genesis.Producer{
		{Name: "", PeerID: link.PeerID("p1").String(), PublicKey: hex.EncodeToString(k1[:])},
		{Name: "alpha", PeerID: link.PeerID("p2").String(), PublicKey: hex.EncodeToString(k2[:])},
	}, out)
	require.Empty(t, ProducerList(named, nil, nil))
}
