package rbc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func FuzzDecodeMessage(f *testing.F) {
	fx := newFixture(f, 4)
	inst := Instance{Origin: 1, Seq: 7}
	f.Add(fx.echo(1, inst, []byte("payload")).AppendBinary(nil))
	f.Add(fx.ready(2, inst, DigestOf(nil)).AppendBinary(nil))
	f.Add(fx.cert(inst, []byte("p"), 0, 1, 3).AppendBinary(nil))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b, 1<<10)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err), "every refusal has a reason")
			return
		}
		// Exactly one encoding per message.
		require.Equal(t, b, m.AppendBinary(nil))
		if m.Cert != nil {
			_ = m.Cert.Verify(fx.domain, fx.set, nil) // must not panic
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	fx := newFixture(f, 4)
	inst := Instance{Origin: 1, Seq: 7}
	p := []byte("payload")
	f.Add(Record{Kind: RecEcho, Inst: inst, Digest: DigestOf(p), Payload: p}.AppendBinary(nil))
	f.Add(Record{Kind: RecReady, Inst: inst, Digest: DigestOf(p)}.AppendBinary(nil))
	f.Add(Record{Kind: RecFloor, Inst: inst}.AppendBinary(nil))
	f.Add(Record{Kind: RecDelivered, Inst: inst, Digest: DigestOf(p), Payload: p, Cert: fx.cert(inst, p, 0, 1, 2).Cert}.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err))
			return
		}
		require.Equal(t, b, r.AppendBinary(nil))
	})
}

func FuzzDecodeCertificate(f *testing.F) {
	fx := newFixture(f, 4)
	f.Add(fx.cert(Instance{Origin: 1, Seq: 7}, nil, 0, 1, 2).Cert.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCertificate(b)
		if err != nil {
			require.NotEmpty(t, ReasonOf(err))
			return
		}
		require.Equal(t, b, c.AppendBinary(nil))
		_ = c.Verify(fx.domain, fx.set, nil)
	})
}

// FuzzCore drives participant 1 of 4 with a byte-chosen sequence of
// echoes, readies and certificates (valid, equivocating, forged, for a
// few instances), ticks, and restarts from its records, and checks after
// every step: no panic; every refusal has a reason; every echo or ready
// sent is covered by a record persisted before it; across restarts we
// never sign two digests for one instance and kind, nor deliver an
// instance twice (replayed deliveries repeat an earlier one).
func FuzzCore(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0, 0, 16, 32, 48, 1, 17, 33, 9, 25, 41, 255, 6, 7})
	f.Add([]byte{0, 0x40, 0x13, 0x23, 0x33, 0x41, 0x51, 0xf0, 0x0c, 0x0c})
	fx := newFixture(f, 4) // keys once per process, not per input
	payloads := [][]byte{[]byte("A"), []byte("B"), nil, []byte("long payload")}
	f.Fuzz(func(t *testing.T, ops []byte) {
		var recs []Record
		now := epoch
		c, err := New(fx.config(1), nil, now)
		require.NoError(t, err)
		signed := map[string]Digest{}
		delivered := map[Instance]Digest{}
		drain := func() {
			if !c.HasReady() {
				return
			}
			rd := c.Ready()
			recs = append(recs, rd.Persist...)
			for _, o := range rd.Messages {
				checkSent(t, recs, signed, o.Msg)
			}
			for _, d := range rd.Delivered {
				prev, ok := delivered[d.Inst]
				if d.Replayed { // after a restart: only what was delivered before
					require.True(t, ok && prev == d.Cert.Digest, "replayed %s, never delivered", d.Inst)
					continue
				}
				require.True(t, !ok || prev == d.Cert.Digest, "delivered twice with different payloads in %s", d.Inst)
				require.False(t, ok, "delivered %s twice", d.Inst)
				delivered[d.Inst] = d.Cert.Digest
			}
			c.Advance()
		}
		drain()
		for _, op := range ops {
			inst := Instance{Origin: uint16(op>>6) & 1 * 2, Seq: uint64(op>>4)&3 + 1} // origins 0 and 2
			s := int(op & 3)
			p := payloads[(op>>2)&3]
			var m Message
			switch {
			case op == 0xff:
				c, err = New(fx.config(1), recs, now)
				require.NoError(t, err)
			case op == 0xfe:
				now = now.Add(150 * time.Millisecond)
				c.Tick(now)
			case op&0x0c == 0x0c && s != 1:
				m = fx.cert(inst, payloads[op&1], 0, 2, 3)
			case op&0x80 != 0:
				m = fx.ready(s, inst, DigestOf(p))
			default:
				m = fx.echo(s, inst, p)
			}
			if m.Kind != 0 {
				if op&0x20 != 0 && op&0x80 != 0 {
					m.Sig[0] ^= 1 // forged
				}
				from := s
				if m.Kind == KindCert {
					from = 3
				}
				if err := c.Receive(from, m.AppendBinary(nil), now); err != nil {
					require.NotEmpty(t, ReasonOf(err), "%v", err)
				}
			}
			drain()
		}
	})
}

func checkSent(t *testing.T, recs []Record, signed map[string]Digest, m Message) {
	t.Helper()
	if m.Kind == KindCert {
		return
	}
	kind := RecEcho
	if m.Kind == KindReady {
		kind = RecReady
	}
	covered := false
	for _, r := range recs {
		covered = covered || r.Kind == kind && r.Inst == m.Inst && r.Digest == m.Digest
	}
	require.True(t, covered, "%s sent without its record", m)
	key := m.Kind.String() + m.Inst.String()
	if prev, ok := signed[key]; ok {
		require.Equal(t, prev, m.Digest, "signed two digests in %s", key)
	}
	signed[key] = m.Digest
}
