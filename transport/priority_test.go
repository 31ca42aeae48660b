package transport_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport"
	"github.com/blockwire/blockwire/transport/route"
)

// A transaction handler that blocks (a node loop with a full input queue)
// must not hold up raft's deliveries, nor our hellos: before the handlers
// had their own goroutines, one blocked handler stopped the transport's
// only goroutine, so consensus deliveries waited behind it and no hello
// went out, and the neighbours declared the links dead (the ring collapse
// of issue 13). Fails on the old code: the consensus message is never
// delivered while the transaction handler blocks, and the link goes down.
func TestABlockedHandlerDelaysNeitherConsensusNorHellos(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := newLine(t, 3, all)
		unblock := make(chan struct{})
		ns[2].tr.Handle(route.ClassTransaction, func(transport.Delivery) { <-unblock })
		got := make(chan string, 1)
		ns[2].tr.Handle(route.ClassConsensus, func(d transport.Delivery) { got <- string(d.Payload) })

		_, err := ns[0].tr.Send(ns[2].nid, route.ClassTransaction, []byte("tx"))
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond) // the tx handler is now blocked
		_, err = ns[0].tr.Send(ns[2].nid, route.ClassConsensus, []byte("heartbeat"))
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
		select {
		case p := <-got:
			require.Equal(t, "heartbeat", p)
		default:
			t.Fatal("the consensus delivery waited behind a blocked transaction handler")
		}

		// Ten hold times later node 2's hellos still flow: node 1 keeps
		// its route to 2.
		time.Sleep(10 * time.Duration(float64(route.DefaultConfig().HelloInterval)*route.DefaultConfig().HoldMultiplier))
		for _, r := range ns[1].tr.Routes() {
			require.True(t, r.Reachable, "node 1 lost its route to %s while node 2's handler blocked", r.Dest)
		}
		close(unblock)
	})
}
