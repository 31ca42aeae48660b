package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
	"github.com/blockwire/blockwire/transport/rbcrun"
)

// Four producers and a full node over real libp2p on loopback: every
// producer reliably broadcasts three payloads at once, and every producer
// delivers all twelve, the same payload per instance, each with a
// certificate that verifies against the producer set. The full node is
// no participant: it cannot broadcast.
func TestReliableBroadcastFourProducers(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ns := startLibp2pNet(t, 5, 4)
	prods := ns[:4]
	subs := make([]*rbcrun.Subscription, len(prods))
	for i, n := range prods {
		subs[i] = n.SubscribeReliable(64)
	}
	set, err := rbc.NewParticipants(rbcKeys(prods[0].set.Load()))
	require.NoError(t, err)
	domain := prods[0].genesis.ID()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i, n := range prods {
		for k := range 3 {
			wg.Go(func() {
				d, err := n.ReliableBroadcast(ctx, fmt.Appendf(nil, "from %d, #%d", i, k))
				if err == nil {
					err = d.Cert.Verify(domain, set, nil)
				}
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := make([]map[rbc.Instance]string, len(prods))
	for i, s := range subs {
		got[i] = map[rbc.Instance]string{}
		for range 12 {
			select {
			case d := <-s.C():
				require.NoError(t, d.Cert.Verify(domain, set, nil))
				got[i][d.Inst] = string(d.Payload)
			case <-ctx.Done():
				t.Fatalf("producer %d delivered %d of 12", i, len(got[i]))
			}
		}
	}
	for i := 1; i < len(prods); i++ {
		require.Equal(t, got[0], got[i], "producer %d delivered other payloads", i)
	}
	me, _ := set.Index(ed25519.PublicKey(prods[2].pub[:]))
	st := prods[2].ReliableStatus(ctx)
	require.True(t, st.Member)
	require.Equal(t, me, st.Self)
	require.Equal(t, uint64(12), st.Counters.Delivered)
	require.Empty(t, st.Counters.Refused[string(rbc.ReasonBadSignature)])

	_, err = ns[4].ReliableBroadcast(ctx, []byte("x"))
	require.ErrorIs(t, err, rbcrun.ErrNotParticipant)
	require.False(t, ns[4].ReliableStatus(ctx).Member)
}
