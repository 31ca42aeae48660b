package atteststore

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/attest"
)

var epoch = time.UnixMilli(1_700_000_000_000)

func open(t *testing.T, fs vfs.FS) *pebble.DB {
	t.Helper()
	cfg := chain.DefaultDBConfig()
	cfg.MemTableSize, cfg.CacheSize, cfg.FS = 1<<20, 1<<20, fs
	db, err := chain.OpenDB("db", cfg)
	require.NoError(t, err)
	return db
}

// world is a requester's configuration and a set of honest verifier cores
// (3 at L2, then 1 at L3..L5, as Dragonchain in production; two spare
// verifiers per level).
type world struct {
	t     *testing.T
	cfg   attest.Config
	dir   *attest.Directory
	vers  map[block.PublicKey]*attest.Verifier
	asked map[[2]any]int // (block, verifier) -> requests received
}

var requester = block.PublicKey{0xee}

func newWorld(t *testing.T) *world {
	w := &world{t: t, vers: map[block.PublicKey]*attest.Verifier{}, asked: map[[2]any]int{}}
	w.cfg = attest.DefaultConfig(block.Hash{3})
	var ms []attest.Member
	n := 0
	for li, lv := range w.cfg.Levels {
		for j := 0; j < lv.Required+2; j++ {
			seed := make([]byte, 32)
			seed[0], seed[1] = byte(n), 0x5e
			n++
			k := ed25519.NewKeyFromSeed(seed)
			vc := attest.DefaultVerifierConfig(w.cfg.ChainID, k, lv.Number, 0, 0)
			if li > 0 {
				vc.LowerLevel, vc.LowerRequired = w.cfg.Levels[li-1].Number, w.cfg.Levels[li-1].Required
			}
			v, err := attest.NewVerifier(vc)
			require.NoError(t, err)
			w.vers[v.Key()] = v
			ms = append(ms, attest.Member{Key: v.Key(), Level: lv.Number, Operator: fmt.Sprintf("op%d", j)})
		}
	}
	d, err := attest.NewDirectory(ms)
	require.NoError(t, err)
	w.dir = d
	return w
}

// perform writes a Ready to the store and returns its messages.
func perform(t *testing.T, st *Store, s *attest.Scheduler) []attest.Outbound {
	var out []attest.Outbound
	for s.HasReady() {
		rd := s.Ready()
		require.NoError(t, st.Apply(&rd))
		out = append(out, rd.Messages...)
		s.Advance()
	}
	return out
}

// deliver hands requests to the verifiers (counting them) and returns the
// receipts as (sender, receipt).
func (w *world) deliver(now time.Time, ms []attest.Outbound) []attest.Outbound {
	var out []attest.Outbound
	for _, m := range ms {
		if m.Msg.Request == nil {
			continue
		}
		w.asked[[2]any{m.Msg.Request.Block, m.To}]++
		v := w.vers[m.To]
		require.NoError(w.t, v.Request(now, requester, m.Msg.Request))
		rd := v.Ready()
		v.Advance()
		for _, o := range rd.Messages {
			out = append(out, attest.Outbound{To: m.To, Msg: o.Msg})
		}
	}
	return out
}

// The requester crashes mid-level (pebble's crash clone keeps exactly what
// was synced), reopens, resumes: the requests that were in flight are
// re-sent at once, not after their deadline; every block then finalizes
// with exactly the required verifications per level; and no verifier is
// asked twice for a block except the one re-send of a request in flight at
// the crash (its answer may have been lost with the process).
func TestCrashMidLevelResumesAndFinalizesEveryBlock(t *testing.T) {
	w := newWorld(t)
	fs := vfs.NewCrashableMem()
	db := open(t, fs)
	st := New(db)
	s, err := attest.New(w.cfg, w.dir, nil, epoch)
	require.NoError(t, err)
	var ids []block.ID
	for h := uint64(1); h <= 20; h++ {
		var id block.ID
		id[7] = byte(h)
		ids = append(ids, id)
		require.NoError(t, s.Add(epoch, id))
	}
	now := epoch.Add(10 * time.Millisecond)
	// Round 1: every L2 request answered. Round 2: half the L3 requests
	// answered, then the crash — with the other L3 requests in flight, and
	// the receipts of the answered half received but never acknowledged
	// for some (we crash before persisting the last one).
	reqs := perform(t, st, s)
	for _, rc := range w.deliver(now, reqs) {
		require.NoError(t, s.Receipt(now, rc.To, rc.Msg.Receipt))
	}
	l3 := perform(t, st, s)
	require.Len(t, l3, 20*3+20, "60 acks, 20 L3 requests")
	var l3reqs []attest.Outbound
	for _, m := range l3 {
		if m.Msg.Request != nil {
			l3reqs = append(l3reqs, m)
		}
	}
	receipts := w.deliver(now, l3reqs[:10]) // only the first 10 requests reach their verifiers
	for _, rc := range receipts[:9] {
		require.NoError(t, s.Receipt(now, rc.To, rc.Msg.Receipt))
	}
	perform(t, st, s)
	require.NoError(t, s.Receipt(now, receipts[9].To, receipts[9].Msg.Receipt)) // counted, never persisted

	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	require.NoError(t, db.Close())
	db = open(t, crashed)
	defer func() { require.NoError(t, db.Close()) }()
	st = New(db)
	states, err := st.Load()
	require.NoError(t, err)
	require.Len(t, states, 20)
	now = now.Add(500 * time.Millisecond) // down for half a second, deadlines are 5 s
	s, err = attest.New(w.cfg, w.dir, states, now)
	require.NoError(t, err)
	resent := perform(t, st, s)
	// In flight at the crash, re-sent at once: the 10 L3 requests that
	// never reached their verifiers, the L3 request whose receipt was
	// counted but not persisted, and the L4 requests of the 9 blocks
	// promoted (persisted and sent, never delivered here).
	levels := map[uint8]int{}
	for _, m := range resent {
		levels[m.Msg.Request.Level]++
	}
	require.Equal(t, map[uint8]int{3: 11, 4: 9}, levels)
	require.EqualValues(t, 20, s.Status().Stats.Resent)

	// Run to the end; the verifiers re-send their unacknowledged receipts
	// as the restarted requester asks again.
	msgs := resent
	for guard := 0; len(msgs) > 0; guard++ {
		require.Less(t, guard, 100)
		var next []attest.Outbound
		for _, rc := range w.deliver(now, msgs) {
			_ = s.Receipt(now, rc.To, rc.Msg.Receipt)
		}
		next = append(next, perform(t, st, s)...)
		msgs = next
	}
	require.Zero(t, s.Status().Pending)
	for _, id := range ids {
		p, ok, err := st.Proof(id)
		require.NoError(t, err)
		require.True(t, ok, "block %s finalized", id)
		require.NoError(t, p.Verify(&w.cfg, w.dir), "exactly the required verifications, valid")
		for _, d := range p.Levels {
			require.Len(t, d.Asked, len(d.Got), "L%d: no replacement was needed", d.Number)
		}
	}
	twice := 0
	for k, n := range w.asked {
		require.LessOrEqual(t, n, 2, "%v", k)
		if n == 2 {
			twice++
		}
	}
	require.Equal(t, 1, twice, "asked twice: only the request whose receipt died with the crash")
	states, err = st.Load()
	require.NoError(t, err)
	require.Empty(t, states, "states and schedule dropped with the finalizations")
}

// Stalled blocks have a state and no schedule entry; a schedule entry that
// does not match its state is corruption and Load refuses the store.
func TestLoadChecksScheduleAgainstStates(t *testing.T) {
	w := newWorld(t)
	w.cfg.Levels[0].Labels = map[string]string{"region": "nowhere"}
	db := open(t, vfs.NewMem())
	defer func() { require.NoError(t, db.Close()) }()
	st := New(db)
	s, err := attest.New(w.cfg, w.dir, nil, epoch)
	require.NoError(t, err)
	require.NoError(t, s.Add(epoch, block.ID{1}))
	perform(t, st, s)
	states, err := st.Load()
	require.NoError(t, err)
	require.Len(t, states, 1)
	require.Contains(t, states[0].Stalled, "0 verifiers qualify")

	require.NoError(t, db.Set(scheduleKey(epoch, block.ID{1}), []byte{2}, pebble.Sync))
	_, err = st.Load()
	require.ErrorContains(t, err, "does not match its state")
}
