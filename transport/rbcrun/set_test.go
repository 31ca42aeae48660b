package rbcrun

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
)

// A producer-set change: a broadcast in flight under the old set fails
// with ErrSetChanged, messages of the old set arriving after the switch
// are ignored without blame, the removed participant can no longer
// broadcast, and the new set delivers.
func TestSetChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 50*time.Millisecond)
		c.startAll()
		errc := make(chan error, 1)
		go func() {
			_, err := c.runners[0].Broadcast(context.Background(), []byte("old"))
			errc <- err
		}()
		time.Sleep(10 * time.Millisecond) // the SEND is on the wire
		for _, r := range c.runners {
			require.NoError(t, r.SetParticipants(c.pubs[:3]))
		}
		require.ErrorIs(t, <-errc, ErrSetChanged)
		_, err := c.runners[3].Broadcast(context.Background(), []byte("x"))
		require.ErrorIs(t, err, ErrNotParticipant)

		sub := c.runners[2].Subscribe(4)
		d, err := c.runners[1].Broadcast(context.Background(), []byte("new"))
		require.NoError(t, err)
		set, err := rbc.NewParticipants(c.pubs[:3])
		require.NoError(t, err)
		require.NoError(t, d.Cert.Verify(domain, set, nil))
		got := <-sub.C()
		require.Equal(t, "new", string(got.Payload))
		require.Equal(t, tagOf(set), got.Set)

		time.Sleep(time.Second)
		synctest.Wait()
		require.Empty(t, c.refusals(), "old-set messages are not the sender's fault")
		require.Positive(t, c.runners[1].Counters().OtherSet)
		st := c.runners[3].Status(context.Background())
		require.False(t, st.Member)
		require.Equal(t, 3, st.N)
	})
}

// Bad input costs the sender: a peer outside the set, a malformed
// envelope, an unknown envelope version, a forged signature. Duplicates
// (retransmissions) cost nothing.
func TestRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, time.Millisecond)
		c.startAll()
		set, err := rbc.NewParticipants(c.pubs)
		require.NoError(t, err)
		stranger := peer.ID("stranger")
		inst := rbc.Instance{Origin: 0, Seq: 1}
		good := c.originEcho(set, inst, []byte("p"))
		forged := append([]byte(nil), good...)
		forged[1+tagSize+13+2] ^= 1 // a signature byte

		c.inject(1, stranger, good)
		c.inject(1, c.ids[2], []byte{1, 2})
		c.inject(1, c.ids[2], append([]byte{9}, good[1:]...))
		c.inject(1, c.ids[0], forged)
		c.inject(1, c.ids[0], good)
		c.inject(1, c.ids[0], good) // a retransmission
		synctest.Wait()
		var reasons []string
		for _, r := range c.refusals() {
			require.Equal(t, c.ids[1], r.by)
			reasons = append(reasons, string(r.from)+":"+r.reason)
		}
		require.Equal(t, []string{
			"stranger:" + string(rbc.ReasonNonMember),
			string(c.ids[2]) + ":" + string(rbc.ReasonMalformed),
			string(c.ids[2]) + ":" + string(rbc.ReasonVersion),
			string(c.ids[0]) + ":" + string(rbc.ReasonBadSignature),
		}, reasons)
		require.Equal(t, uint64(1), c.runners[1].Counters().Refused[string(rbc.ReasonDuplicate)])
	})
}
