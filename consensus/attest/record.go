package attest

import (
	"encoding/binary"
	"time"
	"unicode/utf8"

	"github.com/blockwire/blockwire/chain/block"
)

// Ask is one request at a block's current level.
type Ask struct {
	Verifier block.PublicKey
	// Deadline is when the verifier's answer is due (millisecond
	// precision, as on the wire).
	Deadline time.Time
	// Missed: the deadline passed without a verification; the verifier
	// was replaced (or will be re-asked when no replacement is left). Its
	// receipt is still accepted while the level is incomplete.
	Missed bool
}

// DoneLevel is a completed level of a block still being attested.
type DoneLevel struct {
	Number uint8
	// Asked is every verifier asked at the level, in ask order.
	Asked []block.PublicKey
	// Got is the level's Required verifications, ascending verifier order.
	Got []Verification
}

// State is the durable state of one block being attested: everything the
// scheduler needs to resume after a restart. The driver stores it as an
// opaque record (AppendBinary) and hands it back to New.
type State struct {
	Block block.ID
	// Added is when the block entered the schedule (latency is measured
	// from it).
	Added time.Time
	// Level is the Number of the level being collected.
	Level uint8
	// Misses counts the re-ask rounds at Level: rounds in which every
	// qualifying verifier had been asked and some missed (backoff and the
	// MaxRounds bound).
	Misses int
	// Due is the next deadline to check; zero while stalled.
	Due time.Time
	// Stalled is why the block stopped being scheduled ("" while live).
	Stalled string
	// Asked are the requests at Level, in ask order; Got the distinct
	// verifications received at Level (fewer than Required).
	Asked []Ask
	Got   []Verification
	// Done are the completed levels, lowest first.
	Done []DoneLevel
}

// Proof is the attestation of a finalized block: every level's
// verifications, lowest level first, each in ascending verifier order.
// Level i's verifications sign Digest(level i-1's).
type Proof struct {
	Block     block.ID
	Added     time.Time
	Finalized time.Time
	Levels    []DoneLevel
}

// maxStalledReason bounds the stored reason.
const maxStalledReason = 1024

// maxAsks bounds the requests recorded per level.
const maxAsks = 1 << 12

func appendMs(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.BigEndian.AppendUint64(b, 0)
	}
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixMilli()))
}

// AppendBinary appends the state's record encoding (docs/protocol.md,
// attestation records).
func (s *State) AppendBinary(b []byte) []byte {
	b = append(b, Version)
	b = append(b, s.Block[:]...)
	b = appendMs(b, s.Added)
	b = append(b, s.Level)
	b = binary.BigEndian.AppendUint16(b, uint16(s.Misses))
	b = appendMs(b, s.Due)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Stalled)))
	b = append(b, s.Stalled...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Asked)))
	for _, a := range s.Asked {
		b = append(b, a.Verifier[:]...)
		b = appendMs(b, a.Deadline)
		b = append(b, boolByte(a.Missed))
	}
	b = appendVerifications(b, s.Got)
	return appendDone(b, s.Done)
}

// AppendBinary appends the proof's record encoding.
func (p *Proof) AppendBinary(b []byte) []byte {
	b = append(b, Version)
	b = append(b, p.Block[:]...)
	b = appendMs(b, p.Added)
	b = appendMs(b, p.Finalized)
	return appendDone(b, p.Levels)
}

func appendVerifications(b []byte, vs []Verification) []byte {
	b = append(b, byte(len(vs)))
	for i := range vs {
		b = vs[i].AppendBinary(b)
	}
	return b
}

func appendDone(b []byte, ds []DoneLevel) []byte {
	b = append(b, byte(len(ds)))
	for _, d := range ds {
		b = append(b, d.Number)
		b = binary.BigEndian.AppendUint16(b, uint16(len(d.Asked)))
		for _, k := range d.Asked {
			b = append(b, k[:]...)
		}
		b = appendVerifications(b, d.Got)
	}
	return b
}

func boolByte(x bool) byte {
	if x {
		return 1
	}
	return 0
}

// reader is a strict cursor over a record.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || len(r.b) < n {
		r.bad = true
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }

func (r *reader) ms() time.Time {
	v := binary.BigEndian.Uint64(r.take(8))
	if v == 0 {
		return time.Time{}
	}
	if v > 1<<53 {
		r.bad = true
	}
	return time.UnixMilli(int64(v))
}

func (r *reader) key() (k block.PublicKey) {
	copy(k[:], r.take(32))
	return k
}

func (r *reader) verifications(id block.ID) []Verification {
	n := int(r.u8())
	if n > MaxRequired {
		r.bad = true
		return nil
	}
	var out []Verification
	for i := 0; i < n && !r.bad; i++ {
		v := decodeVerification(r.take(verificationSize))
		if v.Block != id || i > 0 && cmpVerifier(out[i-1], v) >= 0 {
			r.bad = true
		}
		out = append(out, v)
	}
	return out
}

func (r *reader) done(id block.ID) []DoneLevel {
	n := int(r.u8())
	var out []DoneLevel
	for i := 0; i < n && !r.bad; i++ {
		d := DoneLevel{Number: r.u8()}
		na := int(r.u16())
		if na > maxAsks {
			r.bad = true
			break
		}
		for j := 0; j < na && !r.bad; j++ {
			d.Asked = append(d.Asked, r.key())
		}
		d.Got = r.verifications(id)
		for _, v := range d.Got {
			if v.Level != d.Number {
				r.bad = true
			}
		}
		if d.Number == 0 || i > 0 && d.Number <= out[i-1].Number {
			r.bad = true
		}
		out = append(out, d)
	}
	return out
}

// DecodeState decodes a state record exactly (no trailing bytes, one
// encoding per state).
func DecodeState(b []byte) (State, error) {
	r := &reader{b: b}
	if v := r.u8(); !r.bad && v != Version {
		return State{}, refuse(ReasonVersion, "state record version %d", v)
	}
	var s State
	copy(s.Block[:], r.take(32))
	s.Added = r.ms()
	s.Level = r.u8()
	s.Misses = int(r.u16())
	s.Due = r.ms()
	s.Stalled = string(r.take(int(r.u16())))
	na := int(r.u16())
	if na > maxAsks {
		r.bad = true
	}
	for i := 0; i < na && !r.bad; i++ {
		a := Ask{Verifier: r.key(), Deadline: r.ms()}
		switch r.u8() {
		case 0:
		case 1:
			a.Missed = true
		default:
			r.bad = true
		}
		s.Asked = append(s.Asked, a)
	}
	s.Got = r.verifications(s.Block)
	s.Done = r.done(s.Block)
	if r.bad || len(r.b) != 0 || s.Level == 0 || len(s.Stalled) > maxStalledReason || !utf8.ValidString(s.Stalled) ||
		(s.Stalled == "") == s.Due.IsZero() || s.Added.IsZero() {
		return State{}, refuse(ReasonMalformed, "state record of %d bytes", len(b))
	}
	for _, v := range s.Got {
		if v.Level != s.Level {
			return State{}, refuse(ReasonMalformed, "state record: verification for level %d at level %d", v.Level, s.Level)
		}
	}
	return s, nil
}

// DecodeProof decodes a proof record exactly.
func DecodeProof(b []byte) (Proof, error) {
	r := &reader{b: b}
	if v := r.u8(); !r.bad && v != Version {
		return Proof{}, refuse(ReasonVersion, "proof record version %d", v)
	}
	var p Proof
	copy(p.Block[:], r.take(32))
	p.Added = r.ms()
	p.Finalized = r.ms()
	p.Levels = r.done(p.Block)
	if r.bad || len(r.b) != 0 || len(p.Levels) == 0 || p.Added.IsZero() || p.Finalized.IsZero() {
		return Proof{}, refuse(ReasonMalformed, "proof record of %d bytes", len(b))
	}
	return p, nil
}

// Verify checks p against the configured levels: one entry per level, in
// order, each with exactly Required distinct verifiers (verifications in
// strictly ascending verifier order), every verification for p's block at
// that level, over the digest of the level below, with a valid signature.
// If dir is not nil, every signer must also be a verifier of that level in
// it. A proof is trusted only after Verify succeeded, entirely.
func (p *Proof) Verify(cfg *Config, dir *Directory) error {
	if len(p.Levels) != len(cfg.Levels) {
		return refuse(ReasonWrongLevel, "proof of %d levels, want %d", len(p.Levels), len(cfg.Levels))
	}
	lower := Digest(nil)
	for i, d := range p.Levels {
		lv := cfg.Levels[i]
		if d.Number != lv.Number || len(d.Got) != lv.Required {
			return refuse(ReasonWrongLevel, "proof level %d has %d verifications at L%d, want %d at L%d", i, len(d.Got), d.Number, lv.Required, lv.Number)
		}
		for j := range d.Got {
			v := &d.Got[j]
			switch {
			case v.Block != p.Block || v.Level != lv.Number:
				return refuse(ReasonMalformed, "proof holds %s", v)
			case j > 0 && cmpVerifier(d.Got[j-1], *v) >= 0:
				return refuse(ReasonDuplicate, "proof level L%d lists a verifier twice or out of order", lv.Number)
			case v.Lower != lower:
				return refuse(ReasonWrongLower, "%s", v)
			}
			if dir != nil {
				if m, ok := dir.Member(v.Verifier); !ok || !m.matches(&lv) {
					return refuse(ReasonUnasked, "%s: not a qualifying verifier", v)
				}
			}
			if err := v.Check(cfg.ChainID); err != nil {
				return err
			}
		}
		lower = Digest(d.Got)
	}
	return nil
}
