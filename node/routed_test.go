package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
)

// lineNet is three CFT producers in a full mesh and three full nodes on a
// line hanging off p0: f2 - f1 - f0 - p0. The node *strict names (the
// leader, once known) refuses keys starting with "forbidden", which every
// other node's check lets through, so only the leader's answer can reject
// them.
func lineNet(t *testing.T, strict *atomic.Int32) *testNet {
	t.Helper()
	tn := newTestNet(t, EngineCFT, 3, 3)
	tn.peers = map[int][]int{0: {1, 2}, 1: {2}, 3: {0}, 4: {3}, 5: {4}}
	kv := chain.DefaultKVLimits()
	strict.Store(-1)
	tn.options = map[int][]Option{}
	for i := range tn.specs {
		v := func(tx []byte) error {
			ops, err := chain.DecodeKVTx(tx, kv)
			for _, op := range ops {
				if strict.Load() == int32(i) && bytes.HasPrefix(op.Key, []byte("forbidden")) {
					return &chain.TxError{Reason: "forbidden-key", Detail: string(op.Key)}
				}
			}
			return err
		}
		tn.options[i] = []Option{WithApp(chain.NewKV(kv), v)}
	}
	return tn
}

// Issue 13: a transaction submitted at the end of a line of full nodes
// (no link to any producer, three hops from the nearest) reaches the
// leader by routed unicast, and the leader's answer, accepted or rejected
// with its reason, comes back along the reverse path although full nodes
// are not routable. On the old code f2 failed at once with ErrNoProducer:
// the one-hop relay needed a link to a producer.
func TestSubmitAtTheEndOfALineOfFullNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var strict atomic.Int32
		tn := lineNet(t, &strict)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 15*time.Second)
		var leader int
		waitFor(t, 5*time.Second, "a leader", func() bool { leader = tn.leader(); return leader >= 0 })
		strict.Store(int32(leader))
		f1, f2 := tn.specs[4].n, tn.specs[5].n
		require.Len(t, f2.Network().Links(), 1, "f2 peers only f1")
		waitFor(t, 5*time.Second, "routes to every producer", func() bool {
			rs := f2.Routes()
			if len(rs) != 3 {
				return false
			}
			for _, r := range rs {
				if !r.Reachable || r.NextHop != f1.ID() {
					return false
				}
			}
			return true
		})
		for _, r := range f2.Routes() {
			require.GreaterOrEqual(t, int(r.Metric), 3*10, "three hops or more at HopCost 10")
		}

		r, err := f2.Submit(ctx, kvTx("far", "away"))
		require.NoError(t, err)
		require.Equal(t, TxIncluded, r.State)

		_, err = f2.Submit(ctx, kvTx("forbidden", "x"))
		var rej *TxRejectedError
		require.True(t, errors.As(err, &rej), "%v", err)
		require.Equal(t, "forbidden-key", rej.Reason, "the leader's reason came back")
		require.Equal(t, OutcomeRejected, SubmitOutcome(err))
		require.Positive(t, tn.specs[3].n.TransportStats().Route.RepliesForwarded, "f0 relayed the answers")
		for _, n := range tn.specs[3:] {
			require.Zero(t, n.n.TransportStats().Destinations-3, "full nodes are not destinations")
		}
		tn.converged(5 * time.Second)
	})
}

// Issue 13 on real libp2p (loopback, real time): `init --topology line`
// puts three CFT producers (meshed for raft) and then three full nodes on
// a line, p0 - p1 - p2 - f0 - f1 - f2. Transactions submitted at f2 reach
// the leader three or more hops away and their answers come back; on the
// old code f2 had no link to a producer and failed with ErrNoProducer.
func TestLibp2pLineOfFullNodesSubmitsToTheLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ns := startLibp2pNet(t, 6, 3, TopologyLine)
	f2 := ns[5]
	require.Eventually(t, func() bool {
		_, irr := f2.Head()
		rs := f2.Routes()
		return irr.Height >= 3 && len(rs) == 3 && rs[0].Reachable && rs[1].Reachable && rs[2].Reachable
	}, 30*time.Second, 20*time.Millisecond, "f2 follows the chain and routes to every producer")
	require.Len(t, f2.Network().Links(), 1, "f2 peers only f1")
	for _, r := range f2.Routes() {
		require.Equal(t, ns[4].ID(), r.NextHop)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 5 {
		r, err := submitUntilRouted(ctx, t, f2, kvTx(fmt.Sprint("line", i), "v"))
		require.NoError(t, err)
		require.Equal(t, TxIncluded, r.State)
	}
	require.Positive(t, ns[3].TransportStats().Route.RepliesForwarded, "f0 relayed the leader's answers")
}

// submitUntilRouted submits tx on n as an operator's client does: again
// after ErrNoProducer, until ctx ends. Routes can lapse on a link that
// stays up: a neighbour whose hellos are late by more than
// route.Config.HoldMultiplier intervals (625 ms by default) is down for
// routing until its next hello, and a node with one neighbour then has
// no route to any producer for a moment, which Submit reports at once.
// On a loaded test host that happens (seen: f2's link to f1 up for 14 s
// with a 412 ms RTT, its three routes unreachable, back 50 ms later).
func submitUntilRouted(ctx context.Context, t *testing.T, n *Node, tx []byte) (TxReceipt, error) {
	t.Helper()
	for {
		r, err := n.Submit(ctx, tx)
		if !errors.Is(err, ErrNoProducer) || ctx.Err() != nil {
			return r, err
		}
		t.Logf("%v; submitting again", err)
		select {
		case <-ctx.Done():
			return r, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// p2p.routable makes a full node a destination for the nodes that list it
// in p2p.routable_peers; a node that does not list it refuses its
// announcements (and charges the neighbour that relays them: operators
// must list the same peers everywhere, see P2PConfig.RoutablePeers).
func TestRoutableFullNodeIsADestinationWhereAdmitted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 3)
		f0 := tn.specs[1]
		tn.tweak = map[int]func(*Config){
			1: func(c *Config) { c.P2P.Routable = true },
			2: func(c *Config) { c.P2P.RoutablePeers = []string{f0.id.String()} },
		}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 5*time.Second)
		dests := func(n *Node) map[string]bool {
			out := map[string]bool{}
			for _, r := range n.Routes() {
				if r.Reachable {
					out[r.Dest.String()] = true
				}
			}
			return out
		}
		waitFor(t, 5*time.Second, "f1 routes to f0", func() bool { return dests(tn.specs[2].n)[f0.id.String()] })
		require.True(t, dests(tn.specs[2].n)[tn.specs[0].id.String()], "and to the producer")
		require.False(t, dests(tn.specs[3].n)[f0.id.String()], "f2 does not admit f0")
		require.True(t, dests(tn.specs[3].n)[tn.specs[0].id.String()])
	})
}
