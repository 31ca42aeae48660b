package rbc

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bracha's worked thresholds (reference/attest-rbc.md §3.1): n=4 f=1: echo
// 3, amplify 2, deliver 3; n=7 f=2: 5/3/5; n=10 f=3: 7/4/7.
func TestThresholdsAreBracha(t *testing.T) {
	for n, want := range map[int][4]int{1: {0, 1, 1, 1}, 4: {1, 3, 2, 3}, 7: {2, 5, 3, 5}, 10: {3, 7, 4, 7}, 6: {1, 4, 2, 3}} {
		s := newFixture(t, n).set
		require.Equal(t, want, [4]int{s.F(), s.EchoQuorum(), s.ReadyAmplify(), s.DeliverQuorum()}, "n=%d", n)
	}
}

// "Delivery yields a certificate" in three message delays when nobody is
// faulty: SEND (the origin's echo), ECHO, READY.
func TestGoodCaseDeliversInThreeRounds(t *testing.T) {
	for _, n := range []int{1, 4, 7, 10} {
		nt := newNet(t, n)
		inst := nt.broadcast(0, []byte("set change"))
		nt.run()
		for i := range n {
			p, ok := nt.delivered(i, inst)
			require.True(t, ok, "n=%d node %d delivered", n, i)
			require.Equal(t, []byte("set change"), p)
		}
		if n > 1 {
			require.Equal(t, []int{3}, slices.Compact(nt.rounds), "n=%d", n)
			require.Equal(t, (n-1)+(n-1)*(n-1)+n*(n-1), nt.sent, "n=%d: send + echo + ready", n)
		}
		require.Empty(t, nt.refused, "n=%d", n)
		// The status round: after RetransmitBase everyone tells everyone it
		// delivered, once; then the instance is quiet.
		nt.advance(100 * time.Millisecond)
		sent := nt.sent
		nt.advance(time.Second)
		require.Equal(t, sent, nt.sent, "n=%d: no more retransmissions once all delivered", n)
	}
}

// A node that is ready and sees 2f+1 readies but never got the payload
// (its echoes were lost) still delivers: the second retransmission round
// of a delivered peer is the certificate, which carries the payload.
func TestCertificateCarriesThePayloadToALaggard(t *testing.T) {
	nt := newNet(t, 4)
	nt.drop = func(p packet) bool { return p.to == 3 && p.depth <= 2 } // node 3 misses SEND and every echo
	inst := nt.broadcast(0, []byte("x"))
	nt.run()
	_, ok := nt.delivered(3, inst)
	require.False(t, ok)
	nt.drop = nil
	for range 3 {
		nt.advance(200 * time.Millisecond)
	}
	p, ok := nt.delivered(3, inst)
	require.True(t, ok, "refused: %v", nt.refused)
	require.Equal(t, []byte("x"), p)
}

// Totality after a partition: node 3 is cut off for longer than the first
// retransmission rounds, then heals and delivers.
func TestRetransmissionHealsAPartition(t *testing.T) {
	nt := newNet(t, 7)
	cut := true
	nt.drop = func(p packet) bool { return cut && (p.to == 3 || p.from == 3) }
	inst := nt.broadcast(0, []byte("y"))
	nt.run()
	nt.advance(100 * time.Millisecond)
	nt.advance(200 * time.Millisecond)
	cut = false
	for range 4 {
		nt.advance(400 * time.Millisecond)
	}
	for i := range 7 {
		_, ok := nt.delivered(i, inst)
		require.True(t, ok, "node %d", i)
	}
}

// Retransmission backs off (doubling, capped) and stops after
// RetransmitLimit rounds even if a peer never answers.
func TestRetransmissionBacksOffAndIsBounded(t *testing.T) {
	nt := newNet(t, 4)
	nt.drop = func(p packet) bool { return p.to == 3 } // 3 is silent and deaf
	nt.crash(3)
	nt.broadcast(0, []byte("z"))
	nt.run()
	c := nt.cores[0]
	var gaps []time.Duration
	last := nt.now
	for range 200 {
		d := c.Ready().Deadline
		if d.IsZero() || d.Sub(nt.now) > 10*time.Second {
			break
		}
		nt.advance(d.Sub(nt.now))
		gaps = append(gaps, nt.now.Sub(last))
		last = nt.now
	}
	ms := time.Millisecond
	require.Equal(t, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 800 * ms, 800 * ms}, gaps)
	require.Equal(t, 6, c.Instances()[0].Retransmits)
}

// An origin that sends different payloads to different participants
// (equivocation) can make at most one of them delivered, by everybody.
func TestEquivocatingOriginAgreement(t *testing.T) {
	for _, split := range [][]int{{1, 2}, {1}, {}} {
		nt := newNet(t, 4)
		nt.crash(0) // the origin is byzantine: driven by hand
		inst := Instance{Origin: 0, Seq: 1}
		for to := 1; to < 4; to++ {
			p := []byte("A")
			if slices.Contains(split, to) {
				p = []byte("B")
			}
			nt.queue = append(nt.queue, packet{from: 0, to: to, b: nt.fx.echo(0, inst, p).AppendBinary(nil), depth: 1})
		}
		nt.run()
		for range 6 {
			nt.advance(300 * time.Millisecond)
		}
		var got [][]byte
		for i := 1; i < 4; i++ {
			if p, ok := nt.delivered(i, inst); ok {
				got = append(got, p)
			}
		}
		require.True(t, len(got) == 0 || len(got) == 3, "totality: %d of 3 delivered", len(got))
		for _, p := range got {
			require.Equal(t, got[0], p, "agreement")
		}
	}
}

func TestRefusals(t *testing.T) {
	fx := newFixture(t, 4)
	c, err := New(fx.config(1), nil, epoch)
	require.NoError(t, err)
	inst := Instance{Origin: 0, Seq: 1}
	good := fx.echo(0, inst, []byte("p"))
	forged := good
	forged.Sig[0] ^= 1
	other := fx.echo(0, inst, []byte("q"))
	wrongSet := fx.cert(inst, []byte("p"), 0, 2, 3)
	wrongSet.Cert.SetSize = 5
	shortCert := fx.cert(inst, []byte("p"), 0, 2)
	dupCert := fx.cert(inst, []byte("p"), 0, 2, 3)
	dupCert.Cert.Signers[2] = 2
	badCertSig := fx.cert(inst, []byte("p"), 0, 2, 3)
	badCertSig.Cert.Sigs[1][5] ^= 1
	for _, tc := range []struct {
		name string
		from int
		m    Message
		want Reason
	}{
		{"non-member sender", 9, good, ReasonNonMember},
		{"bad signature", 0, forged, ReasonBadSignature},
		{"signer mismatch", 2, good, ReasonSignerMismatch},
		{"origin outside the set", 0, fx.echo(0, Instance{Origin: 7, Seq: 1}, nil), ReasonNonMember},
		{"wrong set size", 2, wrongSet, ReasonWrongSet},
		{"certificate without quorum", 2, shortCert, ReasonNoQuorum},
		{"duplicate certificate signer", 2, dupCert, ReasonDuplicate},
		{"bad certificate signature", 2, badCertSig, ReasonBadSignature},
		{"ok", 0, good, ""},
		{"duplicate echo", 0, good, ReasonDuplicate},
		{"equivocating echo", 0, other, ReasonEquivocation},
	} {
		err := c.Step(tc.from, tc.m, epoch)
		require.Equal(t, tc.want, ReasonOf(err), "%s: %v", tc.name, err)
	}
	require.False(t, ReasonDuplicate.Penalized())
	require.True(t, ReasonEquivocation.Penalized())
	// A signature for one instance does not count in another (replay).
	replay := fx.echo(0, Instance{Origin: 0, Seq: 2}, []byte("p"))
	replay.Sig = good.Sig
	require.Equal(t, ReasonBadSignature, ReasonOf(c.Step(0, replay, epoch)))
	// Nor for another domain (another chain).
	fx2 := newFixture(t, 4)
	fx2.domain[0] ^= 1
	require.Equal(t, ReasonBadSignature, ReasonOf(c.Step(0, fx2.echo(0, Instance{Origin: 0, Seq: 3}, nil), epoch)))
}

// The origin's payload is validated before we echo it; an invalid one is
// refused (penalized) and never echoed.
func TestInvalidPayloadIsNotEchoed(t *testing.T) {
	fx := newFixture(t, 4)
	cfg := fx.config(1)
	cfg.ValidatePayload = func(_ Instance, p []byte) error {
		if len(p) == 0 || p[0] != 'v' {
			return errInvalid
		}
		return nil
	}
	c, err := New(cfg, nil, epoch)
	require.NoError(t, err)
	err = c.Step(0, fx.echo(0, Instance{Origin: 0, Seq: 1}, []byte("bad")), epoch)
	require.Equal(t, ReasonInvalidPayload, ReasonOf(err))
	require.True(t, ReasonInvalidPayload.Penalized())
	require.Empty(t, c.Ready().Messages)
	require.NoError(t, c.Step(0, fx.echo(0, Instance{Origin: 0, Seq: 2}, []byte("valid")), epoch))
	require.Len(t, c.Ready().Messages, 1)
}

var errInvalid = &Error{Reason: ReasonMalformed, Detail: "test rule"}

// A flood of instance ids from one peer is bounded by MaxOpenPerPeer;
// other peers are not affected.
func TestInstanceFloodIsBoundedPerPeer(t *testing.T) {
	fx := newFixture(t, 4)
	cfg := fx.config(1)
	cfg.MaxOpenPerPeer = 8
	c, err := New(cfg, nil, epoch)
	require.NoError(t, err)
	refused := 0
	for seq := uint64(1); seq <= 100; seq++ {
		err := c.Step(2, fx.ready(2, Instance{Origin: 0, Seq: seq}, DigestOf(nil)), epoch)
		if ReasonOf(err) == ReasonTooManyInstances {
			refused++
			require.False(t, ReasonTooManyInstances.Penalized())
		}
	}
	require.Equal(t, 92, refused)
	require.Len(t, c.Instances(), 8)
	require.NoError(t, c.Step(3, fx.ready(3, Instance{Origin: 0, Seq: 1000}, DigestOf(nil)), epoch), "peer 3 has its own quota")
}

// Instances are collected after the horizon: their records are forgotten,
// the origin's floor rises (persisted), and a late message cannot reopen
// one and make us sign again — also after a restart.
func TestGarbageCollectionAfterHorizon(t *testing.T) {
	nt := newNet(t, 4)
	inst := nt.broadcast(0, []byte("old"))
	nt.run()
	nt.advance(nt.fx.config(0).Horizon)
	for i := range 4 {
		require.Empty(t, nt.cores[i].Instances(), "node %d", i)
		require.Contains(t, nt.store[i], Record{Kind: RecFloor, Inst: inst})
	}
	// Node 1 restarts before its driver performed the Forget (a crash):
	// the leftover records are below the floor and ignored.
	nt.restart(1)
	require.Empty(t, nt.cores[1].Instances())
	// The driver deletes the forgotten records (Store.Forget).
	for i := range nt.store {
		nt.store[i] = slices.DeleteFunc(nt.store[i], func(r Record) bool { return r.Inst == inst && r.Kind != RecFloor })
	}
	nt.restart(1)
	err := nt.cores[1].Step(0, nt.fx.echo(0, inst, []byte("new")), nt.now)
	require.Equal(t, ReasonStale, ReasonOf(err))
	require.False(t, nt.cores[1].HasReady() && len(nt.cores[1].Ready().Messages) > 0)
	// The origin's next instance has a higher seq, also after a restart.
	nt.restart(0)
	next := nt.broadcast(0, []byte("new"))
	require.Greater(t, next.Seq, inst.Seq)
}

// A participant that crashes after persisting its echo but before sending
// it resends the same echo after the restart and never echoes a second
// payload for the instance, even when the origin equivocates to it.
func TestRestartNeverSignsTwoPayloads(t *testing.T) {
	nt := newNet(t, 4)
	nt.crash(0)
	inst := Instance{Origin: 0, Seq: 1}
	require.NoError(t, nt.cores[1].Step(0, nt.fx.echo(0, inst, []byte("A")), nt.now))
	rd := nt.cores[1].Ready()
	require.Len(t, rd.Persist, 1)
	nt.store[1] = append(nt.store[1], rd.Persist...) // persisted, then the crash: nothing sent
	nt.crash(1)
	nt.restart(1)
	require.NoError(t, nt.cores[1].Step(0, nt.fx.echo(0, inst, []byte("B")), nt.now), "a new process has not seen the origin's echo yet")
	rd = nt.cores[1].Ready()
	require.Empty(t, rd.Persist, "no second echo record")
	nt.advance(0) // the restart resends our persisted echo at once
	nt.run()
	key := "1/echo/" + inst.String()
	require.Equal(t, DigestOf([]byte("A")), nt.signed[key])
}

// Certificates survive restarts: a restarted node does not deliver anew;
// it hands its recorded deliveries out again marked Replayed (a crash may
// have come between persisting a delivery and handing it out).
func TestDeliveredCertificateSurvivesRestart(t *testing.T) {
	nt := newNet(t, 4)
	nt.broadcast(0, []byte("c"))
	nt.run()
	nt.restart(2)
	nt.run()
	require.Len(t, nt.delivers[2], 1, "no second delivery after a restart")
	require.Equal(t, 1, nt.replayed)
	require.Equal(t, StatusDelivered, nt.cores[2].Instances()[0].Status)
}

// The status round is exactly n(n−1) messages even when timers are
// staggered: node 0's round reaches the others before theirs fire, so they
// skip node 0 and answer its message with their ready instead; node 0
// then never sends a certificate to a peer that delivered. (Before the
// answer rule, node 0 kept sending its certificate to every peer for all
// RetransmitLimit rounds.)
func TestStaggeredStatusRoundIsQuiet(t *testing.T) {
	nt := newNet(t, 4)
	nt.broadcast(0, []byte("s"))
	nt.run()
	before := nt.sent
	nt.now = nt.now.Add(100 * time.Millisecond)
	nt.cores[0].Tick(nt.now)
	nt.flush(0)
	nt.run() // node 0's readies (status delivered) arrive first
	for range 8 {
		nt.advance(400 * time.Millisecond)
	}
	require.Equal(t, 4*3, nt.sent-before, "one status message per ordered pair")
	for i := range 4 {
		require.Equal(t, 1, nt.cores[i].Instances()[0].Retransmits, "node %d: one round, then quiet", i)
	}
}
