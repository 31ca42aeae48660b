package node

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// TestCFTRingOfFiveProducers: five producers on a ring, each linked to its
// two neighbours only. Raft reaches the others over routed unicast (two
// hops to the far side), elects, commits blocks and a transaction, and
// elects again across the ring when the leader is killed. Before raft rode
// the transport this needed a producers' mesh.
func TestCFTRingOfFiveProducers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 5
		tn := newTestNet(t, EngineCFT, n, 0)
		tn.peers = map[int][]int{}
		for i := range n {
			tn.peers[i] = []int{(i + 1) % n}
		}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(5, 20*time.Second)
		for i, sp := range tn.specs {
			want := map[link.PeerID]bool{tn.specs[(i+1)%n].id: true, tn.specs[(i+n-1)%n].id: true}
			got := map[link.PeerID]bool{}
			for _, l := range sp.n.Network().Links() {
				got[l.Peer()] = true
			}
			require.Equal(t, want, got, "%s links only to its ring neighbours", sp.name)
		}
		var l int
		waitFor(t, 5*time.Second, "a leader", func() bool { l = tn.leader(); return l >= 0 })
		// Submit at the node opposite the leader: two hops to it.
		at := tn.specs[(l+2)%n].n
		r, err := at.Submit(context.Background(), kvTx("ring", "v"))
		require.NoError(t, err)
		_, err = at.WaitTx(context.Background(), r.Hash, TxIrreversible)
		require.NoError(t, err)

		// Kill the leader: the ring becomes a line of four, whose ends are
		// three hops apart; raft elects among them and goes on.
		_, irr := tn.specs[l].n.Head()
		tn.stop(l, false)
		var rest []int
		for i := range n {
			if i != l {
				rest = append(rest, i)
			}
		}
		tn.irreversibleAtLeastOn(rest, irr.Height+5, 20*time.Second)
		tn.start(l)
		_, irr = tn.specs[rest[0]].n.Head()
		tn.irreversibleAtLeast(irr.Height+3, 20*time.Second)
		tn.converged(10 * time.Second)
	})
}
