package attestrun

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/consensus/attest"
)

// Every irreversible block is attested through all levels with exactly the
// required verifications, each verifier asked once per block and level,
// although the verifiers learn irreversibility later than the requester
// (their requests are held, not refused).
func TestEveryIrreversibleBlockIsAttested(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "L2=3,L3=1,L4=1,L5=1", 1)
		defer c.stop()
		for h := uint64(1); h <= 20; h++ {
			c.advance(h, 300*time.Millisecond)
			time.Sleep(100 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dir, err := attest.NewDirectory(c.members)
		require.NoError(t, err)
		for h := uint64(1); h <= 20; h++ {
			p, err := c.req.Wait(ctx, idAt(h))
			require.NoError(t, err, "height %d", h)
			require.NoError(t, p.Verify(&c.sched, dir))
			for i, l := range p.Levels {
				require.Len(t, l.Got, c.sched.Levels[i].Required)
			}
		}
		st := c.req.Status()
		require.EqualValues(t, 20, st.Stats.Finalized)
		require.Zero(t, st.Scheduler.Pending)
		require.Equal(t, 1, c.net.maxRequests(), "nobody asked twice")
		require.Less(t, st.LatencyP99, 2*time.Second, "held, not refused and replaced at the 1 s deadline")
		var parked uint64
		for _, v := range c.vers {
			parked += v.Status().Verifier.Refused[attest.ReasonNotYet]
		}
		require.NotZero(t, parked, "the verifiers' lag made them hold requests")
	})
}

// The requester crashes mid-collection (unsynced writes lost) and
// restarts from its store: every block still finalizes with exactly the
// required verifications, and no verifier is asked twice for a block and
// level except the in-flight requests the crash may have lost (re-sent
// once, to the same verifier).
func TestRequesterCrashResumesFromItsStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "L2=3,L3=1,L4=1,L5=1", 1)
		for h := uint64(1); h <= 10; h++ {
			c.advance(h, 50*time.Millisecond)
			time.Sleep(7 * time.Millisecond) // mid-level for the latest blocks
		}
		c.crashRequester()
		resumed := c.req.Status()
		require.NotZero(t, resumed.Scheduler.Pending, "the crash came mid-collection")
		require.NotZero(t, resumed.Scheduler.Stats.Resent, "in-flight requests are re-sent at once")
		for h := uint64(11); h <= 15; h++ {
			c.advance(h, 50*time.Millisecond)
			time.Sleep(20 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		dir, _ := attest.NewDirectory(c.members)
		for h := uint64(1); h <= 15; h++ {
			p, err := c.req.Wait(ctx, idAt(h))
			require.NoError(t, err, "height %d", h)
			require.NoError(t, p.Verify(&c.sched, dir))
		}
		require.LessOrEqual(t, c.net.maxRequests(), 2, "at most the one re-send of an in-flight request")
		require.Zero(t, c.req.Status().Stats.Refused[attest.ReasonUnasked])
		c.stop()
	})
}
