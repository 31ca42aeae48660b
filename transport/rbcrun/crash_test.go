package rbcrun

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/transport/rbc"
)

// signedLog records every echo and ready each participant sends, so a
// test can check that nobody signs two digests in one instance across
// restarts.
type signedLog struct {
	mu   sync.Mutex
	sigs map[[2]any]map[rbc.Digest]bool // (signer, kind, instance) → digests
}

func (l *signedLog) hook(c *cluster, drop func(from peer.ID, m rbc.Message) bool) func(from, to peer.ID, payload []byte) bool {
	return func(from, _ peer.ID, payload []byte) bool {
		_, body, err := decodeEnvelope(payload)
		if err != nil {
			return false
		}
		m, err := rbc.DecodeMessage(body, 1<<20)
		if err != nil {
			return false
		}
		if drop != nil && drop(from, m) {
			return true
		}
		if m.Kind == rbc.KindCert {
			return false
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		k := [2]any{indexOf(c.ids, from), [2]any{m.Kind, m.Inst}}
		if l.sigs[k] == nil {
			l.sigs[k] = map[rbc.Digest]bool{}
		}
		l.sigs[k][m.Digest] = true
		return false
	}
}

func (l *signedLog) doubleSigned() [][2]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][2]any
	for k, ds := range l.sigs {
		if len(ds) > 1 {
			out = append(out, k)
		}
	}
	return out
}

// The driver-level crash test (issue 17): participant 1 persists its echo
// of the origin's payload A and crashes before the echo leaves (a power
// cut: unsynced writes lost). While it is down the others deliver A. It
// restarts from its crashed disk, and the origin — now equivocating —
// sends it payload B for the same instance: it never echoes B, it resends
// its echo of A (the record replayed), and it delivers A. No participant
// ever signs two digests in one instance.
func TestCrashBetweenPersistAndSendThenEquivocatingOrigin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 4, 10*time.Millisecond)
		set, err := rbc.NewParticipants(c.pubs)
		require.NoError(t, err)
		log := &signedLog{sigs: map[[2]any]map[rbc.Digest]bool{}}
		crashed := false
		crashNow := make(chan struct{})
		c.net.hook = log.hook(c, func(from peer.ID, m rbc.Message) bool {
			if from != c.ids[1] || m.Kind != rbc.KindEcho || crashed {
				return false
			}
			// 1's first echo: its record is durable (the runner synced
			// it before calling Multicast); the power goes now.
			crashed = true
			c.net.crash(c.ids[1])
			close(crashNow)
			return true
		})
		c.startAll()
		a := []byte("payload A")
		done := make(chan rbc.Delivery, 1)
		go func() {
			d, err := c.runners[0].Broadcast(context.Background(), a)
			require.NoError(t, err)
			done <- d
		}()
		<-crashNow
		c.crash(1)
		d := <-done // 0, 2 and 3 are an echo quorum for n = 4
		require.Equal(t, a, d.Payload)
		inst := d.Inst
		require.Equal(t, rbc.Instance{Origin: 0, Seq: 1}, inst)

		recs := c.durable(1, tagOf(set))
		require.Len(t, recs, 1, "the echo's record survived the crash")
		require.Equal(t, rbc.RecEcho, recs[0].Kind)

		r1 := c.start(1)
		sub := r1.Subscribe(4)
		c.inject(1, c.ids[0], c.originEcho(set, inst, []byte("payload B")))
		got := <-sub.C()
		require.Equal(t, inst, got.Inst)
		require.Equal(t, a, got.Payload, "the restarted participant delivers A")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		require.Empty(t, log.doubleSigned(), "nobody signed two digests in one instance")
		log.mu.Lock()
		echoes := log.sigs[[2]any{1, [2]any{rbc.KindEcho, inst}}]
		log.mu.Unlock()
		require.Equal(t, map[rbc.Digest]bool{rbc.DigestOf(a): true}, echoes, "1 resent its echo of A after the restart, never one of B")
	})
}
