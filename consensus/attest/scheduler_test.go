package attest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

// settle runs the exchange between s and the fixture's verifiers until
// nothing is in flight, ticking the scheduler at its deadlines up to until.
// It returns the number of requests each verifier received per block.
func (fx *fixture) settle(s *Scheduler, d *drained, now time.Time, until time.Time, silent func(block.PublicKey) bool) (time.Time, map[block.ID]map[block.PublicKey]int) {
	asked := map[block.ID]map[block.PublicKey]int{}
	for {
		out := d.take(s)
		for _, r := range requestsIn(out) {
			if asked[r.Msg.Request.Block] == nil {
				asked[r.Msg.Request.Block] = map[block.PublicKey]int{}
			}
			asked[r.Msg.Request.Block][r.To]++
		}
		for _, a := range acksIn(out) {
			if v := fx.vers[a.Verifier]; v != nil {
				_ = v.Ack(now, requester, a)
				v.Advance()
			}
		}
		receipts := fx.answer(now, out, silent)
		for _, rc := range receipts {
			_ = s.Receipt(now, rc.To, rc.Msg.Receipt)
		}
		if len(receipts) > 0 {
			continue
		}
		dl := s.Ready().Deadline
		if dl.IsZero() || dl.After(until) {
			return now, asked
		}
		now = dl
		s.Tick(now)
	}
}

// Seed 000's happy path: the required verifiers at each level, in order,
// each request carrying the lower level's verifications; the block is
// finalized with exactly the required verifications and its state dropped.
func TestFinalizesWithExactlyTheRequiredVerifications(t *testing.T) {
	fx := newFixture(t)
	id := bid(1, 1)
	s, d := fx.start(id)
	_, asked := fx.settle(s, d, epoch, epoch.Add(time.Minute), nil)
	p, ok := d.proofs[id]
	require.True(t, ok, "finalized")
	require.NoError(t, p.Verify(&fx.cfg, fx.dir))
	require.Len(t, asked[id], 6, "3 + 1 + 1 + 1 verifiers asked, none twice")
	for _, n := range asked[id] {
		require.Equal(t, 1, n)
	}
	require.False(t, s.Has(id))
	require.Empty(t, d.states, "state dropped with the finalization")
	st := s.Status()
	require.EqualValues(t, 6, st.Stats.Accepted)
	require.EqualValues(t, 3, st.Stats.Promotions)
}

// A verifier that misses its deadline is replaced by the next in the
// ranking; when it answers late while the level is still incomplete its
// verification counts, and the replacement's then arrives as excess: it
// is refused with an explicit ack, never stored.
func TestMissedDeadlineReplacesAndLateAnswerMakesExcess(t *testing.T) {
	fx := newFixture(t)
	id := bid(2, 1)
	s, d := fx.start(id)
	first := requestsIn(d.take(s))
	require.Len(t, first, 3)
	slow := first[0]
	// Two answer at once; the third is silent until its deadline.
	for _, rc := range fx.answer(epoch, first[1:], nil) {
		require.NoError(t, s.Receipt(epoch, rc.To, rc.Msg.Receipt))
	}
	acks := acksIn(d.take(s))
	require.Len(t, acks, 2)
	now := epoch.Add(time.Second)
	require.Equal(t, now, s.Ready().Deadline)
	s.Tick(now)
	repl := requestsIn(d.take(s))
	require.Len(t, repl, 1, "one replacement")
	require.NotEqual(t, slow.To, repl[0].To)
	ranked := fx.dir.Ranked(&fx.cfg.Levels[0], id)
	require.Equal(t, ranked[3], repl[0].To, "the next verifier in the ranking")
	require.Equal(t, now.Add(time.Second), repl[0].Msg.Request.Deadline, "a fresh verifier gets the base deadline")
	require.EqualValues(t, 1, s.Status().Stats.Replacements)

	// The slow verifier answers late (its deadline had not passed when it
	// signed): counted, the level completes.
	slowReceipt := fx.answer(epoch.Add(900*time.Millisecond), []Outbound{slow}, nil)
	require.NoError(t, s.Receipt(now, slow.To, slowReceipt[0].Msg.Receipt))
	out := d.take(s)
	require.Len(t, requestsIn(out), 1, "promoted: one L3 request")
	require.Equal(t, uint8(3), requestsIn(out)[0].Msg.Request.Level)
	require.Len(t, requestsIn(out)[0].Msg.Request.Lower, 3, "carrying the L2 verifications")
	// The replacement's receipt is now excess.
	rc := fx.answer(now, repl, nil)
	err := s.Receipt(now, rc[0].To, rc[0].Msg.Receipt)
	require.Equal(t, ReasonExcess, ReasonOf(err))
	acks = acksIn(d.take(s))
	require.Len(t, acks, 1)
	require.Equal(t, VerdictExcess, acks[0].Verdict)
	require.Len(t, d.states[id].Done[0].Got, 3, "never more than Required")
	require.EqualValues(t, 1, s.Status().Stats.Refused[ReasonExcess])
}

// Every kind of bad receipt is refused with an explicit ack carrying its
// reason, and leaves the block's state untouched.
func TestBadReceiptsAreRefusedWithAReason(t *testing.T) {
	fx := newFixture(t)
	id := bid(3, 1)
	s, d := fx.start(id)
	reqs := requestsIn(d.take(s))
	asked := reqs[0].To
	good := fx.answer(epoch, reqs[:1], nil)[0].Msg.Receipt.Verification
	ranked := fx.dir.Ranked(&fx.cfg.Levels[0], id)
	unasked := ranked[len(ranked)-1]
	before := s.States()

	forged := good
	forged.Sig[5] ^= 1
	wrongLower := Sign(fx.chain, fx.keys[asked], id, 2, block.Hash{1})
	cases := []struct {
		name   string
		from   block.PublicKey
		v      Verification
		reason Reason
	}{
		{"signer mismatch", ranked[1], good, ReasonSignerMismatch},
		{"unasked", unasked, Sign(fx.chain, fx.keys[unasked], id, 2, Digest(nil)), ReasonUnasked},
		{"wrong level", asked, Sign(fx.chain, fx.keys[asked], id, 3, Digest(nil)), ReasonWrongLevel},
		{"unconfigured level", asked, Sign(fx.chain, fx.keys[asked], id, 9, Digest(nil)), ReasonWrongLevel},
		{"wrong block", asked, Sign(fx.chain, fx.keys[asked], bid(3, 2), 2, Digest(nil)), ReasonUnknownBlock},
		{"bad signature", asked, forged, ReasonBadSignature},
		{"wrong lower digest", asked, wrongLower, ReasonWrongLower},
		{"other chain", asked, Sign(block.Hash{9}, fx.keys[asked], id, 2, Digest(nil)), ReasonBadSignature},
	}
	for _, c := range cases {
		err := s.Receipt(epoch, c.from, &Receipt{Verification: c.v})
		require.Equal(t, c.reason, ReasonOf(err), c.name)
		acks := acksIn(d.take(s))
		require.Len(t, acks, 1, c.name)
		require.Equal(t, c.reason, acks[0].Verdict.Reason(), c.name)
		require.False(t, acks[0].Verdict.Accepted(), c.name)
		require.Equal(t, before, s.States(), "%s: nothing stored", c.name)
	}
	// The good one counts once; its duplicate is acknowledged, not counted.
	require.NoError(t, s.Receipt(epoch, asked, &Receipt{Verification: good}))
	err := s.Receipt(epoch, asked, &Receipt{Verification: good})
	require.Equal(t, ReasonDuplicate, ReasonOf(err))
	require.False(t, ReasonDuplicate.Penalized())
	acks := acksIn(d.take(s))
	require.Equal(t, []Verdict{VerdictAccepted, VerdictDuplicate}, []Verdict{acks[0].Verdict, acks[1].Verdict})
	require.Len(t, s.States()[0].Got, 1)
}

// After finalization, receipts for the block are answered from the recent
// memory: duplicate for a counted verifier, excess for an asked one.
func TestReceiptsAfterFinalization(t *testing.T) {
	fx := newFixture(t)
	id := bid(4, 1)
	s, d := fx.start(id)
	reqs := requestsIn(d.take(s))
	silent := reqs[0].To
	now, _ := fx.settle(s, d, epoch, epoch.Add(time.Minute), func(k block.PublicKey) bool { return k == silent })
	p := d.proofs[id]
	require.NoError(t, p.Verify(&fx.cfg, fx.dir))
	late := Sign(fx.chain, fx.keys[silent], id, 2, Digest(nil))
	require.Equal(t, ReasonExcess, ReasonOf(s.Receipt(now, silent, &Receipt{Verification: late})))
	counted := p.Levels[0].Got[0]
	require.Equal(t, ReasonDuplicate, ReasonOf(s.Receipt(now, counted.Verifier, &Receipt{Verification: counted})))
	require.NoError(t, s.Add(now, id), "re-adding a finalized block does nothing")
	require.False(t, s.Has(id))
}

// Retries are bounded: when every qualifying verifier stays silent, the
// replacements run out, the level is re-asked with doubling deadlines
// (capped), and after MaxRounds re-ask rounds the block stalls with a
// reason; Retry asks again.
func TestSilentVerifiersStallTheBlockAndRetryResumes(t *testing.T) {
	fx := newFixture(t)
	id := bid(5, 1)
	s, d := fx.start(id)
	all := func(block.PublicKey) bool { return true }
	now, asked := fx.settle(s, d, epoch, epoch.Add(time.Hour), all)
	require.Len(t, d.stalls, 1)
	require.Contains(t, d.stalls[0].Reason, "L2: 0 of 3 verifications after all 6 qualifying verifiers were asked and 3 re-ask rounds missed; silent: ")
	require.Equal(t, d.stalls[0].Reason, d.states[id].Stalled)
	require.True(t, d.states[id].Due.IsZero())
	require.Len(t, asked[id], 6, "every L2 verifier was tried")
	// 1 s (first asks), 1 s (replacements), then re-asks of 2 s, 4 s and
	// 8 s (capped); the fourth re-ask round would exceed MaxRounds (3).
	require.Equal(t, epoch.Add(16*time.Second), now)
	require.True(t, s.Ready().Deadline.IsZero(), "a stalled block is not scheduled")
	require.Equal(t, 1, s.Status().Stalled)

	require.NoError(t, s.Retry(now, id))
	_, _ = fx.settle(s, d, now, now.Add(time.Hour), nil)
	require.Contains(t, d.proofs, id)
	require.Equal(t, ReasonUnknownBlock, ReasonOf(s.Retry(now, id)), "finalized: no longer pending")
}

// A level with fewer qualifying verifiers than required stalls at once.
func TestTooFewVerifiersStallAtOnce(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.Levels[1].Labels = map[string]string{"region": "mars"}
	id := bid(6, 1)
	s, d := fx.start(id)
	fx.settle(s, d, epoch, epoch.Add(time.Minute), nil)
	require.Len(t, d.stalls, 1)
	require.Equal(t, "L3: 0 verifiers qualify, 1 required", d.stalls[0].Reason)
	require.Len(t, d.states[id].Done, 1, "L2 completed before")
}

// A restarted scheduler resumes from the persisted states: requests in
// flight are re-sent at once (not after their deadline), a request whose
// deadline passed during the downtime is replaced at the first Tick, and
// the verifications collected before the crash are kept.
func TestRestartResendsInFlightRequests(t *testing.T) {
	fx := newFixture(t)
	s := fx.sched(nil, epoch)
	d := newDrained()
	a, b := bid(7, 1), bid(7, 2)
	require.NoError(t, s.Add(epoch, a))
	require.NoError(t, s.Add(epoch.Add(600*time.Millisecond), b))
	reqs := requestsIn(d.take(s))
	require.Len(t, reqs, 6)
	// One verification of a arrives and is persisted, then the crash.
	rc := fx.answer(epoch, reqs[:1], nil)
	require.NoError(t, s.Receipt(epoch, rc[0].To, rc[0].Msg.Receipt))
	d.take(s)

	now := epoch.Add(1200 * time.Millisecond) // a's asks expired, b's not
	s2 := fx.sched(d.list(), now)
	out := requestsIn(s2.Ready().Messages)
	require.Len(t, out, 3, "b's three in-flight requests re-sent at once")
	for _, m := range out {
		require.Equal(t, b, m.Msg.Request.Block)
	}
	require.EqualValues(t, 3, s2.Status().Stats.Resent)
	require.Equal(t, now.Add(-200*time.Millisecond), s2.Ready().Deadline, "a is due: its asks expired while down")
	_, asked := fx.settle(s2, d, now, now.Add(time.Minute), nil)
	require.Contains(t, d.proofs, a)
	require.Contains(t, d.proofs, b)
	pa := d.proofs[a]
	require.NoError(t, pa.Verify(&fx.cfg, fx.dir))
	for _, n := range asked[b] {
		require.Equal(t, 1, n, "no verifier of b asked again after the re-send")
	}
}

// MaxPending bounds the blocks held.
func TestMaxPendingRefusesAdd(t *testing.T) {
	fx := newFixture(t)
	fx.cfg.MaxPending = 2
	s := fx.sched(nil, epoch)
	require.NoError(t, s.Add(epoch, bid(1, 1)))
	require.NoError(t, s.Add(epoch, bid(1, 2)))
	require.Equal(t, ReasonFull, ReasonOf(s.Add(epoch, bid(1, 3))))
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig(block.Hash{})
	require.NoError(t, good.Validate())
	bad := []func(c *Config){
		func(c *Config) { c.Levels = nil },
		func(c *Config) { c.Levels[1].Number = 2 },
		func(c *Config) { c.Levels[0].Required = 0 },
		func(c *Config) { c.Levels[0].Required = MaxRequired + 1 },
		func(c *Config) { c.Levels[0].Deadline = 0 },
		func(c *Config) { c.MaxRounds = 0 },
		func(c *Config) { c.MaxDeadline = time.Second },
		func(c *Config) { c.MaxPending = 0 },
	}
	for i, f := range bad {
		c := DefaultConfig(block.Hash{})
		f(&c)
		require.Error(t, c.Validate(), "case %d", i)
	}
}

// A stalled block still counts late answers from verifiers it asked; the
// one that completes the level makes it live again, and it finalizes.
func TestLateAnswersRevivesAStalledBlock(t *testing.T) {
	fx := newFixture(t)
	id := bid(8, 1)
	s, d := fx.start(id)
	first := requestsIn(d.take(s))
	now, _ := fx.settle(s, d, epoch, epoch.Add(time.Hour), func(block.PublicKey) bool { return true })
	require.Len(t, d.stalls, 1)
	for i, m := range first {
		k := m.To
		v := Sign(fx.chain, fx.keys[k], id, 2, Digest(nil))
		require.NoError(t, s.Receipt(now, k, &Receipt{Verification: v}))
		d.take(s)
		if i < 2 {
			require.NotEmpty(t, d.states[id].Stalled, "still stalled with %d of 3", i+1)
		}
	}
	require.Empty(t, d.states[id].Stalled)
	require.Equal(t, uint8(3), d.states[id].Level)
	st := d.states[id]
	_, err := DecodeState(st.AppendBinary(nil))
	require.NoError(t, err, "a consistent record")
	fx.settle(s, d, now, now.Add(time.Hour), nil)
	require.Contains(t, d.proofs, id)
}
