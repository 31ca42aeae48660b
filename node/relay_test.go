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

// Issue 11, attack 5: a peer's relayed submits are validated first, their
// hop count is clamped to ours, and at most Limits.RelaysPerPeer of them
// await answers; the excess is refused ("relay limit") and the peer
// charged. Before the fix all of them were relayed, unvalidated, with the
// peer's hop count (here a silent producer lets them pile up).
func TestRelaysPerPeerAreCappedValidatedAndHopClamped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, EngineSolo, 1, 1)
		lim := DefaultLimits()
		lim.RelaysPerPeer = 50
		tn.options = map[int][]Option{1: {WithLimits(lim)}}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(2, 5*time.Second)
		prod, full := tn.specs[0].n, tn.specs[1].n
		require.NoError(t, prod.call(context.Background(), func() { prod.lp.dropRouting = true }))

		l, bad := hostilePeer(t, tn, full)
		for i := range 200 {
			m := &submitMsg{id: uint64(i + 1), hops: 255, tx: kvTx(fmt.Sprint("k", i), "v")}
			require.NoError(t, l.Send(link.LaneRouting, m.encode()))
		}
		require.NoError(t, l.Send(link.LaneRouting, (&submitMsg{id: 999, hops: 3, tx: []byte{9, 9}}).encode()))
		waitFor(t, 5*time.Second, "the refusals", func() bool {
			c := full.Counters().Rejected
			return c["relay-limit"] == 150 && c["relay-invalid"] == 1
		})
		var outstanding, relayed int
		var maxHops uint8
		require.NoError(t, full.call(context.Background(), func() {
			outstanding = full.lp.relays.Relaying(full.lp.byID[bad].link)
			for id := uint64(1); id <= full.lp.nextID; id++ {
				if o, _, ok := full.lp.relays.Get(id); ok && o.origin != nil {
					relayed++
					maxHops = max(maxHops, o.hops)
				}
			}
		}))
		require.Equal(t, 50, outstanding)
		require.Equal(t, 50, relayed)
		require.Equal(t, uint8(DefaultLimits().MaxHops-1), maxHops, "the peer's hop count 255 is clamped")
		require.Less(t, linkPeer(full, bad).Score, 0.0, "the overflow is charged")
	})
}
