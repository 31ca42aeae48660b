package node

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/route"
	"github.com/blockwire/blockwire/transport/submit"
)

// Issue 11, attack 5, on routed unicast: a node relays a peer's
// transactions without keeping per-submit state of its own (the transport
// keeps a bounded reverse-path entry per message, route.Config.
// MaxReplyPaths), and a transaction no producer would take goes no further
// than the first honest relay, which charges the peer that sent it. The
// one-hop relay this replaces kept an outstanding record per relayed
// submit (capped by Limits.RelaysPerPeer).
func TestRelayedTransactionsAreValidatedAndKeepNoNodeState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 5*time.Second)
		prod, full := tn.specs[0].n, tn.specs[1].n
		require.NoError(t, prod.call(context.Background(), func() { prod.lp.dropSubmits = true }))

		// The rogue reaches the producer only through the full node.
		r := tn.newRogue()
		_, err := r.h.Connect(context.Background(), peer.AddrInfo{ID: full.ID()})
		require.NoError(t, err)
		waitFor(t, 5*time.Second, "a route to the producer", func() bool { _, ok := r.tr.NextHop(prod.rid); return ok })
		before := full.TransportStats().Route.DataForwarded
		for i := range 200 {
			_, err := r.tr.Send(prod.rid, route.ClassTransaction, submit.EncodeSubmit(kvTx(fmt.Sprint("k", i), "v")))
			require.NoError(t, err)
		}
		_, err = r.tr.Send(prod.rid, route.ClassTransaction, submit.EncodeSubmit([]byte{9, 9}))
		require.NoError(t, err)
		waitFor(t, 5*time.Second, "the refusal", func() bool { return full.Counters().Rejected["relay-invalid"] == 1 })
		waitFor(t, 5*time.Second, "the relaying", func() bool {
			return full.TransportStats().Route.DataForwarded-before == 200
		})
		var outstanding int
		require.NoError(t, full.call(context.Background(), func() { outstanding = full.lp.relays.Len() }))
		require.Zero(t, outstanding, "the relay keeps nothing per submit in the node")
		require.Equal(t, uint64(1), full.TransportStats().Route.Drops[route.ReasonRejected])
		require.Less(t, linkPeer(full, r.h.ID()).Score, 0.0, "the invalid transaction is charged")
	})
}
