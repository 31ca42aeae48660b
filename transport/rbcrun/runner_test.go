package rbcrun

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
)

// Four participants, each broadcasting two payloads at once: every
// participant delivers all eight, the same payload per instance, and the
// origin's Broadcast returns at the third message delay (SEND, ECHO,
// READY: 3 × 10 ms on virtual time) with a certificate that verifies.
func TestFourParticipantsDeliverTheSame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 10*time.Millisecond)
		c.startAll()
		subs := make([]*Subscription, 4)
		for i, r := range c.runners {
			subs[i] = r.Subscribe(64)
		}
		set, err := rbc.NewParticipants(c.pubs)
		require.NoError(t, err)
		start := time.Now()
		type out struct {
			d   rbc.Delivery
			err error
			at  time.Duration
		}
		res := make(chan out, 8)
		for i, r := range c.runners {
			for k := range 2 {
				go func() {
					d, err := r.Broadcast(context.Background(), fmt.Appendf(nil, "payload %d.%d", i, k))
					res <- out{d, err, time.Since(start)}
				}()
			}
		}
		for range 8 {
			o := <-res
			require.NoError(t, o.err)
			require.Equal(t, 30*time.Millisecond, o.at, "three message delays")
			require.NoError(t, o.d.Cert.Verify(domain, set, nil))
			require.Contains(t, string(o.d.Payload), fmt.Sprintf("payload %d.", o.d.Inst.Origin))
		}
		got := make([]map[rbc.Instance]string, 4)
		for i, s := range subs {
			got[i] = map[rbc.Instance]string{}
			for range 8 {
				d := <-s.C()
				require.Equal(t, c.ids[d.Inst.Origin], d.Origin)
				got[i][d.Inst] = string(d.Payload)
			}
		}
		for i := 1; i < 4; i++ {
			require.Equal(t, got[0], got[i], "participant %d", i)
		}
		synctest.Wait()
		require.Empty(t, c.refusals(), "a loss-free run refuses nothing penalized")
		st := c.runners[0].Status(context.Background())
		require.True(t, st.Member)
		require.Len(t, st.Instances, 8)
		require.Equal(t, uint64(8), st.Counters.Delivered)
		require.Equal(t, 0, st.Pending)
	})
}

// Every echo and ready leaves only after its record is durable: the send
// hook decodes every copy and checks the sender's store (read through a
// fresh crash clone, so only synced records count) already holds the
// record of what the copy signs.
func TestPersistBeforeSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 5*time.Millisecond)
		var (
			mu         sync.Mutex
			violations []string
			checked    int
		)
		c.net.hook = func(from, _ peer.ID, payload []byte) bool {
			mu.Lock()
			defer mu.Unlock()
			tag, body, err := decodeEnvelope(payload)
			require.NoError(t, err)
			m, err := rbc.DecodeMessage(body, 1<<20)
			require.NoError(t, err)
			if m.Kind == rbc.KindCert {
				return false
			}
			i := indexOf(c.ids, from)
			recs := c.durable(i, tag)
			want := rbc.RecEcho
			if m.Kind == rbc.KindReady {
				want = rbc.RecReady
			}
			for _, r := range recs {
				if r.Kind == want && r.Inst == m.Inst && r.Digest == m.Digest {
					checked++
					return false
				}
			}
			violations = append(violations, fmt.Sprintf("%d sent %s without its record", i, m))
			return false
		}
		c.startAll()
		for i, r := range c.runners {
			go func() { _, _ = r.Broadcast(context.Background(), []byte{byte(i)}) }()
		}
		time.Sleep(time.Second) // virtual: every instance delivers and retransmits once
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		require.Empty(t, violations)
		require.Greater(t, checked, 4*3*2, "every echo and ready was checked")
	})
}

func indexOf(ids []peer.ID, p peer.ID) int {
	for i, id := range ids {
		if id == p {
			return i
		}
	}
	return -1
}
