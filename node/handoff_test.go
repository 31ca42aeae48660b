package node

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/link"
)

// Issue 11, attack 3: a producer that is not the leader hands a mempool
// larger than the leader's inbound burst (link.DefaultConnConfig: 20,000
// routing messages) to the leader, paced by Limits.Handoff: the leader's
// link drops nothing for rate and charges the producer nothing, and every
// transaction arrives. Before the fix the whole pool went in one burst:
// the leader dropped the excess as a flood and charged the producer.
//
// Every submit is a routed message with an answer; between neighbours
// neither is signed nor verified (transport/route doc.go, "Signature
// checks"), which brought this test from ~10 minutes under -race (100,000
// ed25519 operations) to ~25 s, so it runs under -race again.
func TestALargeHandOffIsPacedBelowTheLeadersFloodLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineCFT, 3, 0)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(3, 10*time.Second)
		li := tn.leader()
		require.GreaterOrEqual(t, li, 0)
		leader := tn.specs[li].n
		from := tn.specs[(li+1)%3].n

		const txs = 25_000
		require.NoError(t, from.call(context.Background(), func() {
			for i := range txs {
				tx := kvTx(fmt.Sprint("handoff-", i), "v")
				h := txHash(tx)
				require.True(t, from.lp.pool.Add(h, tx))
				from.lp.txs.Record(h)
			}
		}))
		waitFor(t, 60*time.Second, "the hand-off to finish", func() bool {
			var left, inFlight int
			_ = from.call(context.Background(), func() { left, inFlight = from.lp.pool.Len(), from.lp.handoff.inFlight })
			return left == 0 && inFlight == 0
		})
		pi := linkPeer(leader, from.ID())
		require.NotNil(t, pi.Stats)
		require.Zero(t, pi.Stats.Lanes[link.LaneRouting].Drops[link.DropRateLimited], "the leader dropped hand-off submits as a flood")
		require.Nil(t, pi.Ban)
		require.Zero(t, pi.Score, "the leader charged the producer")
		require.GreaterOrEqual(t, pi.Stats.Lanes[link.LaneRouting].MsgsIn, uint64(txs))
	})
}
