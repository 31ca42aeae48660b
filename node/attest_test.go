package node

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

// attestNet is three CFT producers and four full nodes that verify: f0,
// f1 at L2 (two operators), f2 at L3, f3 at L2 as a spare. p0 collects
// attestations with levels L2=2,L3=1 and 1 s deadlines. The verifiers are
// linked to one producer each, not to p0 alone: requests and receipts
// travel routed.
func attestNet(t *testing.T) *testNet {
	t.Helper()
	tn := newTestNet(t, EngineCFT, 3, 4)
	tn.peers = map[int][]int{0: {1, 2}, 1: {2}, 3: {1}, 4: {2}, 5: {1}, 6: {2}}
	tn.tweak = map[int]func(*Config){}
	base := func(c *Config) { c.Attest.Levels, c.Attest.Deadline = "L2=2,L3=1", "1s" }
	tn.tweak[0] = func(c *Config) { base(c); c.Attest.Require = true }
	for i, lv := range map[int]int{3: 2, 4: 2, 5: 3, 6: 2} {
		tn.tweak[i] = func(c *Config) {
			base(c)
			c.Attest.Verifier, c.Attest.Level = true, lv
			c.Attest.Labels = map[string]string{"operator": fmt.Sprintf("op%d", i)}
		}
	}
	return tn
}

func (tn *testNet) attestDirectory(t *testing.T) *attest.Directory {
	var ms []attest.Member
	for _, sp := range tn.specs {
		if sp.n != nil && sp.n.cfg.Attest.Verifier {
			a := sp.n.cfg.Attest
			ms = append(ms, attest.Member{Key: block.PublicKey(sp.n.rid), Level: uint8(a.Level), Operator: a.Labels["operator"]})
		}
	}
	d, err := attest.NewDirectory(ms)
	require.NoError(t, err)
	return d
}

// Issue 18: verifiers announce their level and labels with their routes;
// the requester collects the required verifications of every irreversible
// block through both levels, routed, each proof checking out against the
// verifiers' keys.
func TestVerifiersAttestEveryIrreversibleBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := attestNet(t)
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(12, 30*time.Second)
		p0 := tn.specs[0].n
		att := p0.Attestation()
		require.NotNil(t, att)
		require.Nil(t, tn.specs[1].n.Attestation(), "attestation off: no runner")
		cfg, err := p0.cfg.Attest.Config(block.Hash(p0.genesis.ID()), p0.signer)
		require.NoError(t, err)
		dir := tn.attestDirectory(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The genesis block (height 1) was irreversible before the requester
		// started: history is not attested.
		for h := uint64(2); h <= 12; h++ {
			b, err := p0.BlockAt(ctx, h)
			require.NoError(t, err)
			p, err := att.Wait(ctx, b.ID())
			require.NoError(t, err, "height %d", h)
			require.NoError(t, p.Verify(&cfg.Sched, dir), "height %d", h)
			require.Len(t, p.Levels, 2)
			require.Len(t, p.Levels[0].Got, 2)
			require.Len(t, p.Levels[1].Got, 1)
		}
		st := att.Status()
		require.Len(t, st.Directory, 4, "every verifier announced")
		require.Zero(t, st.Scheduler.Stalled)
		require.Zero(t, st.Stats.Refused[attest.ReasonUnasked])
		v := tn.specs[5].n.Attestation().Status()
		require.EqualValues(t, 3, v.Level)
		require.NotZero(t, v.Verifier.Signed)
	})
}

// Issue 18 acceptance: the requester is killed mid-collection as a SIGKILL
// would: its database is a crash clone of its file system (unsynced
// writes lost) and Kill skips the leadership hand-off. Restarted, it
// resumes from its store: every block finalizes with exactly the required
// verifications, and no verifier is asked again for what the store holds.
func TestKilledRequesterResumesFromItsStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := attestNet(t)
		fs := vfs.NewCrashableMem()
		tn.options = map[int][]Option{0: {WithFS(fs)}}
		tn.startAll()
		defer tn.stopAll()
		tn.irreversibleAtLeast(6, 30*time.Second)
		waitFor(t, 30*time.Second, "some blocks attested", func() bool {
			return tn.specs[0].n.Attestation().Status().Stats.Finalized >= 5
		})
		before := tn.specs[0].n.Attestation().Status()
		crashed := fs.CrashClone(vfs.CrashCloneCfg{}) // what a SIGKILL leaves on disk
		tn.stop(0, true)
		tn.options[0] = []Option{WithFS(crashed)}
		tn.irreversibleAtLeastOn([]int{1, 2}, before.Cursor+5, 30*time.Second)
		p0 := tn.start(0)
		resumed := p0.Attestation().Status()
		require.GreaterOrEqual(t, resumed.Cursor, before.Cursor, "the cursor is durable")
		// What the store held at the restart (no virtual time has passed:
		// nothing new can have finalized).
		held := 0
		for h := uint64(2); h <= resumed.Cursor; h++ {
			b, err := p0.BlockAt(context.Background(), h)
			require.NoError(t, err)
			a, err := p0.Attestation().Attestation(b.ID())
			require.NoError(t, err)
			if a.Proof != nil {
				held++
			}
		}
		require.NotZero(t, held, "some blocks were attested before the kill")
		require.NotZero(t, resumed.Scheduler.Pending+int(resumed.Scheduler.Stats.Resent), "the kill came mid-collection")
		tn.irreversibleAtLeastOn([]int{0}, before.Cursor+8, 30*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cfg, _ := p0.cfg.Attest.Config(block.Hash(p0.genesis.ID()), p0.signer)
		dir := tn.attestDirectory(t)
		_, irr := p0.Head()
		for h := uint64(2); h <= irr.Height; h++ {
			b, err := p0.BlockAt(ctx, h)
			require.NoError(t, err)
			p, err := p0.Attestation().Wait(ctx, b.ID())
			require.NoError(t, err, "height %d", h)
			require.NoError(t, p.Verify(&cfg.Sched, dir))
		}
		final := p0.Attestation().Status()
		st := final.Scheduler.Stats
		// Blocks whose proofs the store held are never asked for again; the
		// others need 3 requests each (2 at L2, 1 at L3) beyond the
		// re-sent in-flight ones and replacements of slow verifiers.
		notHeld := int(final.Cursor) - 1 - held
		t.Logf("restart: %d proofs held, %d pending, %d re-sent; after: %d requests, %d replacements, %d re-asks for %d blocks",
			held, resumed.Scheduler.Pending, resumed.Scheduler.Stats.Resent, st.Requests, st.Replacements, st.Reasks, notHeld)
		require.LessOrEqual(t, st.Requests-st.Resent-st.Replacements-st.Reasks-st.Unreachable, uint64(3*notHeld))
		require.Zero(t, final.Stats.Refused[attest.ReasonUnasked])
	})
}
