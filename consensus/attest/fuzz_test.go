package attest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/blockwire/blockwire/chain/block"
)

func FuzzDecodeMessage(f *testing.F) {
	fx := newFixture(f)
	id := bid(1, 1)
	lower := fx.l2verifications(id, 3)
	f.Add(Message{Request: &Request{Block: id, Level: 3, Deadline: epoch, Lower: lower}}.AppendBinary(nil))
	f.Add(Message{Receipt: &Receipt{Verification: lower[0]}}.AppendBinary(nil))
	f.Add(Message{Ack: &Ack{Block: id, Level: 2, Verifier: lower[0].Verifier, Verdict: VerdictExcess}}.AppendBinary(nil))
	f.Add([]byte{1, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b, MaxMessageSize)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err), "every refusal has a reason")
			return
		}
		require.Equal(t, b, m.AppendBinary(nil), "exactly one encoding")
		if m.Receipt != nil {
			_ = m.Receipt.Verification.Check(fx.chain) // must not panic
		}
	})
}

func FuzzDecodeState(f *testing.F) {
	fx := newFixture(f)
	id := bid(1, 1)
	lower := fx.l2verifications(id, 3)
	st := State{Block: id, Added: epoch, Level: 3, Misses: 2, Due: epoch.Add(time.Second),
		Asked: []Ask{{Verifier: lower[0].Verifier, Deadline: epoch, Missed: true}},
		Done:  []DoneLevel{{Number: 2, Asked: []block.PublicKey{lower[0].Verifier}, Got: lower}}}
	f.Add(st.AppendBinary(nil))
	st.Stalled, st.Due = "L3: stalled", time.Time{}
	f.Add(st.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeState(b)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err))
			return
		}
		require.Equal(t, b, s.AppendBinary(nil))
		_, _ = New(fx.cfg, fx.dir, []State{s}, epoch) // must not panic
	})
}

func FuzzDecodeProof(f *testing.F) {
	fx := newFixture(f)
	id := bid(1, 1)
	p := Proof{Block: id, Added: epoch, Finalized: epoch.Add(time.Second),
		Levels: []DoneLevel{{Number: 2, Got: fx.l2verifications(id, 3)}}}
	f.Add(p.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeProof(b)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err))
			return
		}
		require.Equal(t, b, p.AppendBinary(nil))
		_ = p.Verify(&fx.cfg, fx.dir) // must not panic
	})
}

// FuzzScheduler drives one scheduler with a byte-chosen sequence of adds,
// honest and forged receipts (from asked, unasked and wrong verifiers, for
// every level), ticks, retries and restarts from the persisted states, and
// checks after every step: no panic; a level never holds more than
// Required verifications; every verification held is valid, distinct and
// from a verifier asked at that level; every proof verifies.
func FuzzScheduler(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte{0, 0, 2, 2, 2, 3, 3, 3, 5, 5, 6, 2, 2, 2, 7, 1, 1})
	fx := newFixture(f)
	ids := []block.ID{bid(1, 1), bid(2, 1), bid(3, 1)}
	f.Fuzz(func(t *testing.T, ops []byte) {
		fx.t = t
		now := epoch
		s := fx.sched(nil, now)
		d := newDrained()
		var inflight []Outbound
		for i, op := range ops {
			arg := 0
			if i+1 < len(ops) {
				arg = int(ops[i+1])
			}
			switch op % 8 {
			case 0:
				_ = s.Add(now, ids[arg%len(ids)])
			case 1, 2: // answer an in-flight request honestly
				if len(inflight) > 0 {
					m := inflight[arg%len(inflight)]
					if rc := fx.answer(now, []Outbound{m}, nil); len(rc) > 0 {
						_ = s.Receipt(now, rc[0].To, rc[0].Msg.Receipt)
					}
				}
			case 3: // a verification by any verifier, any level, any block
				k := fx.order[arg%len(fx.order)]
				v := Sign(fx.chain, fx.keys[k], ids[arg%len(ids)], uint8(2+arg%5), Digest(nil))
				if arg%3 == 0 {
					v.Sig[1] ^= 1
				}
				from := k
				if arg%7 == 0 {
					from = fx.order[(arg+1)%len(fx.order)]
				}
				_ = s.Receipt(now, from, &Receipt{Verification: v})
			case 4:
				now = now.Add(time.Duration(arg) * 37 * time.Millisecond)
				s.Tick(now)
			case 5:
				_ = s.Retry(now, ids[arg%len(ids)])
			case 6: // crash and restart from what was persisted
				d.take(s)
				inflight = nil
				s = fx.sched(d.list(), now)
			case 7:
				if dl := s.Ready().Deadline; !dl.IsZero() && dl.After(now) {
					now = dl
				}
				s.Tick(now)
			}
			out := d.take(s)
			inflight = append(inflight, requestsIn(out)...)
			fx.checkStates(t, s)
			for _, p := range d.proofs {
				require.NoError(t, p.Verify(&fx.cfg, fx.dir))
			}
		}
	})
}

func (fx *fixture) checkStates(t *testing.T, s *Scheduler) {
	for _, st := range s.States() {
		li, ok := fx.cfg.levelIndex(st.Level)
		require.True(t, ok)
		require.Less(t, len(st.Got), fx.cfg.Levels[li].Required, "an incomplete level holds fewer than Required")
		seen := map[block.PublicKey]bool{}
		for _, v := range st.Got {
			require.False(t, seen[v.Verifier])
			seen[v.Verifier] = true
			require.NoError(t, v.Check(fx.chain))
			asked := false
			for _, a := range st.Asked {
				asked = asked || a.Verifier == v.Verifier
			}
			require.True(t, asked, "counted only if asked")
		}
		require.Equal(t, st.Stalled == "", !st.Due.IsZero() || len(st.Asked) == 0)
	}
}

// FuzzVerifier drives one L3 verifier with a byte-chosen sequence of
// requests (valid, late, short of lower verifications, forged, for other
// levels and blocks, from two requesters), acks (matching or not) and
// ticks, and checks after every step: no panic; at most MaxQueue receipts
// held; every receipt sent is our valid signature over the digest of the
// lower verifications of a request we accepted before its deadline.
func FuzzVerifier(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 4, 4, 4, 5})
	fx := newFixture(f)
	ids := []block.ID{bid(1, 1), bid(2, 1), bid(3, 1)}
	lowers := map[block.ID][]Verification{}
	for _, id := range ids {
		lowers[id] = fx.l2verifications(id, 3)
	}
	key := fx.level(3)[0]
	reqs := []block.PublicKey{requester, {0xdd}}
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := DefaultVerifierConfig(fx.chain, fx.keys[key], 3, 2, 3)
		cfg.MaxQueue, cfg.MaxResends, cfg.ResendInterval = 2, 3, 100*time.Millisecond
		v, err := NewVerifier(cfg)
		require.NoError(t, err)
		now := epoch
		accepted := map[[2]any]block.Hash{} // (requester, block) -> lower digest signed
		for i, op := range ops {
			arg := 0
			if i+1 < len(ops) {
				arg = int(ops[i+1])
			}
			id := ids[arg%len(ids)]
			from := reqs[arg%2]
			req := &Request{Block: id, Level: 3, Deadline: now.Add(time.Second), Lower: lowers[id]}
			switch op % 8 {
			case 0, 1:
				if v.Request(now, from, req) == nil {
					accepted[[2]any{from, id}] = Digest(req.Lower)
				}
			case 2:
				req.Deadline = now
				require.Equal(t, ReasonLate, ReasonOf(v.Request(now, from, req)))
			case 3:
				req.Lower = req.Lower[:arg%3]
				require.Error(t, v.Request(now, from, req))
			case 4:
				now = now.Add(time.Duration(arg) * 13 * time.Millisecond)
				v.Tick(now)
			case 5:
				_ = v.Ack(now, from, &Ack{Block: id, Level: 3, Verifier: key, Verdict: Verdict(arg % int(verdictEnd))})
			case 6:
				req.Level = uint8(arg % 6)
				if req.Level != 3 {
					require.Error(t, v.Request(now, from, req))
				}
			case 7:
				forged := append([]Verification(nil), req.Lower...)
				forged[arg%3].Sig[arg%64] ^= 1
				req.Lower = forged
				require.Contains(t, []Reason{ReasonBadLower, ReasonQueueFull}, ReasonOf(v.Request(now, from, req)))
			}
			require.LessOrEqual(t, v.Pending(), cfg.MaxQueue)
			rd := v.Ready()
			for _, m := range rd.Messages {
				got := m.Msg.Receipt.Verification
				d, ok := accepted[[2]any{m.To, got.Block}]
				require.True(t, ok, "a receipt for a request we accepted")
				require.Equal(t, d, got.Lower)
				require.Equal(t, key, got.Verifier)
				require.NoError(t, got.Check(fx.chain))
			}
			v.Advance()
		}
	})
}
