package attest

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// VerifierConfig configures the verifier side of one level.
type VerifierConfig struct {
	// ChainID is signed into every verification.
	ChainID block.Hash
	// Key is the verifier's ed25519 key: its node identity.
	Key ed25519.PrivateKey
	// Level is the level this verifier serves.
	Level uint8
	// LowerLevel and LowerRequired describe the level below: a request must
	// carry exactly LowerRequired verifications of LowerLevel. Both zero
	// for the first level, whose requests carry none.
	LowerLevel    uint8
	LowerRequired int
	// CheckBlock (first level only) checks the block against the
	// verifier's own view of the chain or of the header chain: nil if the
	// block is known, irreversible and validly signed. Nil accepts any
	// block (a verifier that only countersigns).
	CheckBlock func(block.ID) error
	// IsLowerVerifier, if set, reports whether a key is a verifier of
	// LowerLevel in the verifier's directory; lower verifications by other
	// keys are refused.
	IsLowerVerifier func(block.PublicKey) bool
	// MaxQueue bounds the receipts held until acknowledged; requests
	// beyond it are refused (queue-full), so a flooding requester cannot
	// grow memory.
	MaxQueue int
	// ResendInterval: an unacknowledged receipt is re-sent this often.
	ResendInterval time.Duration
	// MaxResends bounds the re-sends of one receipt; then it is dropped
	// (Dropped in VerifierReady) and the requester replaces us.
	MaxResends int
}

// DefaultVerifierConfig returns a verifier of level with a queue of 4096
// receipts re-sent every second up to 30 times.
func DefaultVerifierConfig(chain block.Hash, key ed25519.PrivateKey, level, lowerLevel uint8, lowerRequired int) VerifierConfig {
	return VerifierConfig{ChainID: chain, Key: key, Level: level, LowerLevel: lowerLevel, LowerRequired: lowerRequired,
		MaxQueue: 4096, ResendInterval: time.Second, MaxResends: 30}
}

// Validate checks the configuration; its errors name the field and value.
func (c *VerifierConfig) Validate() error {
	switch {
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("attest: VerifierConfig.Key has %d bytes, want %d", len(c.Key), ed25519.PrivateKeySize)
	case c.Level == 0:
		return fmt.Errorf("attest: VerifierConfig.Level must be positive")
	case (c.LowerLevel == 0) != (c.LowerRequired == 0) || c.LowerRequired < 0 || c.LowerRequired > MaxRequired:
		return fmt.Errorf("attest: VerifierConfig.LowerLevel %d with LowerRequired %d: both zero (first level) or both positive (≤ %d)", c.LowerLevel, c.LowerRequired, MaxRequired)
	case c.LowerLevel >= c.Level && c.LowerLevel != 0:
		return fmt.Errorf("attest: VerifierConfig.LowerLevel %d is not below Level %d", c.LowerLevel, c.Level)
	case c.MaxQueue < 1:
		return fmt.Errorf("attest: VerifierConfig.MaxQueue %d must be at least 1", c.MaxQueue)
	case c.ResendInterval < time.Millisecond:
		return fmt.Errorf("attest: VerifierConfig.ResendInterval %v, want at least 1ms", c.ResendInterval)
	case c.MaxResends < 0:
		return fmt.Errorf("attest: VerifierConfig.MaxResends %d must not be negative", c.MaxResends)
	}
	return nil
}

// Verifier is the verifier side as a pure core: it checks requests, signs
// verifications and re-sends each receipt until the requester
// acknowledges it. Not safe for concurrent use.
type Verifier struct {
	cfg  VerifierConfig
	pub  block.PublicKey
	held map[heldKey]*heldReceipt
	// parked are first-level requests for blocks the chain has not
	// reached yet (park.go), in arrival order; they count against
	// MaxQueue with held.
	parked []parkedRequest
	// order is the held keys in arrival order (deterministic iteration).
	order        []heldKey
	rd           VerifierReady
	lastDeadline time.Time
	stats        VerifierStats
}

type heldKey struct {
	to    block.PublicKey
	id    block.ID
	level uint8
}

type heldReceipt struct {
	v     Verification
	next  time.Time
	sends int
}

// VerifierStats are a verifier's counters.
type VerifierStats struct {
	// Signed counts verifications signed; Resent receipts re-sent; Acked
	// receipts acknowledged; Dropped receipts given up after MaxResends.
	Signed, Resent, Acked, Dropped uint64
	// Refused counts refused requests by reason; Verdicts counts the
	// requesters' refusals of our receipts (excess, ...) by reason.
	Refused  map[Reason]uint64
	Verdicts map[Reason]uint64
}

// VerifierReady is a verifier's batch of outputs: send Messages, report
// Dropped, call Tick at Deadline (zero: none), then Advance. A verifier
// persists nothing: a lost receipt costs the requester one replacement.
type VerifierReady struct {
	Messages []Outbound
	Dropped  []Verification
	Deadline time.Time
}

// NewVerifier returns a verifier core.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &Verifier{cfg: cfg, held: map[heldKey]*heldReceipt{},
		stats: VerifierStats{Refused: map[Reason]uint64{}, Verdicts: map[Reason]uint64{}}}
	copy(v.pub[:], cfg.Key.Public().(ed25519.PublicKey))
	return v, nil
}

// Key is the verifier's public key.
func (vr *Verifier) Key() block.PublicKey { return vr.pub }

// Request handles a request from the node from (authenticated). A request
// already answered re-sends the same receipt at once (ed25519 is
// deterministic, so it is the same signature).
func (vr *Verifier) Request(now time.Time, from block.PublicKey, req *Request) error {
	if err := vr.check(now, from, req); err != nil {
		if err.Reason == ReasonNotYet {
			vr.park(from, req)
		}
		vr.stats.Refused[err.Reason]++
		return err
	}
	vr.sign(now, from, req)
	return nil
}

// sign answers a checked request: a new receipt, or the held one again.
func (vr *Verifier) sign(now time.Time, from block.PublicKey, req *Request) {
	k := heldKey{to: from, id: req.Block, level: req.Level}
	if h, ok := vr.held[k]; ok {
		vr.send(k, h, now)
		return
	}
	v := Sign(vr.cfg.ChainID, vr.cfg.Key, req.Block, req.Level, Digest(req.Lower))
	vr.stats.Signed++
	h := &heldReceipt{v: v}
	vr.held[k] = h
	vr.order = append(vr.order, k)
	vr.send(k, h, now)
}

func (vr *Verifier) check(now time.Time, from block.PublicKey, req *Request) *Error {
	k := heldKey{to: from, id: req.Block, level: req.Level}
	_, known := vr.held[k]
	switch {
	case req.Level != vr.cfg.Level:
		return refuse(ReasonWrongLevel, "request for L%d at an L%d verifier", req.Level, vr.cfg.Level)
	case !req.Deadline.After(now):
		return refuse(ReasonLate, "request for %s past its deadline by %v", req.Block, now.Sub(req.Deadline))
	case !known && len(vr.held)+len(vr.parked) >= vr.cfg.MaxQueue:
		return refuse(ReasonQueueFull, "%d receipts unacknowledged", len(vr.held))
	}
	if err := vr.checkLower(req); err != nil {
		return err
	}
	return vr.checkBlock(req)
}

// checkBlock runs CheckBlock (first level only): ErrNotYet becomes
// ReasonNotYet (the caller holds the request), any other error
// ReasonUnknownBlock.
func (vr *Verifier) checkBlock(req *Request) *Error {
	if vr.cfg.LowerRequired != 0 || vr.cfg.CheckBlock == nil {
		return nil
	}
	if err := vr.cfg.CheckBlock(req.Block); err != nil {
		if errors.Is(err, ErrNotYet) {
			return refuse(ReasonNotYet, "block %s: %v", req.Block, err)
		}
		return refuse(ReasonUnknownBlock, "block %s: %v", req.Block, err)
	}
	return nil
}

// checkLower checks the lower level's verifications a request carries.
func (vr *Verifier) checkLower(req *Request) *Error {
	if len(req.Lower) != vr.cfg.LowerRequired {
		return refuse(ReasonBadLower, "%d lower verifications, want %d", len(req.Lower), vr.cfg.LowerRequired)
	}
	for i := range req.Lower {
		l := &req.Lower[i]
		switch {
		case l.Block != req.Block || l.Level != vr.cfg.LowerLevel:
			return refuse(ReasonBadLower, "%s in a request for L%d of %s", l, req.Level, req.Block)
		case i > 0 && cmpVerifier(req.Lower[i-1], *l) >= 0:
			return refuse(ReasonBadLower, "lower verifiers repeated or unsorted")
		case vr.cfg.IsLowerVerifier != nil && !vr.cfg.IsLowerVerifier(l.Verifier):
			return refuse(ReasonBadLower, "%s: not an L%d verifier", l, vr.cfg.LowerLevel)
		case i > 0 && l.Lower != req.Lower[0].Lower:
			return refuse(ReasonBadLower, "lower verifications over different digests")
		}
		if err := l.Check(vr.cfg.ChainID); err != nil {
			return refuse(ReasonBadLower, "%v", err)
		}
	}
	return nil
}

func (vr *Verifier) send(k heldKey, h *heldReceipt, now time.Time) {
	h.next = now.Add(vr.cfg.ResendInterval)
	vr.rd.Messages = append(vr.rd.Messages, Outbound{To: k.to, Msg: Message{Receipt: &Receipt{Verification: h.v}}})
}

// Ack handles an acknowledgement from the requester from: the receipt is
// no longer re-sent, whatever the verdict (a refusal is counted by
// reason).
func (vr *Verifier) Ack(now time.Time, from block.PublicKey, a *Ack) error {
	k := heldKey{to: from, id: a.Block, level: a.Level}
	if _, ok := vr.held[k]; !ok || a.Verifier != vr.pub {
		vr.stats.Refused[ReasonUnknownAck]++
		return refuse(ReasonUnknownAck, "ack for L%d of %s", a.Level, a.Block)
	}
	vr.remove(k)
	vr.stats.Acked++
	if !a.Verdict.Accepted() {
		vr.stats.Verdicts[a.Verdict.Reason()]++
	}
	return nil
}

func (vr *Verifier) remove(k heldKey) {
	delete(vr.held, k)
	for i, o := range vr.order {
		if o == k {
			vr.order = append(vr.order[:i], vr.order[i+1:]...)
			return
		}
	}
}

// Tick re-sends every receipt due at or before now, dropping those re-sent
// MaxResends times already, and drops held requests whose deadline passed.
func (vr *Verifier) Tick(now time.Time) {
	vr.Recheck(now)
	for i := 0; i < len(vr.order); i++ {
		k := vr.order[i]
		h := vr.held[k]
		if h.next.After(now) {
			continue
		}
		if h.sends >= vr.cfg.MaxResends {
			vr.stats.Dropped++
			vr.rd.Dropped = append(vr.rd.Dropped, h.v)
			vr.remove(k)
			i--
			continue
		}
		h.sends++
		vr.stats.Resent++
		vr.send(k, h, now)
	}
}

func (vr *Verifier) deadline() time.Time {
	var d time.Time
	for _, p := range vr.parked {
		if d.IsZero() || p.req.Deadline.Before(d) {
			d = p.req.Deadline
		}
	}
	for _, k := range vr.order {
		if n := vr.held[k].next; d.IsZero() || n.Before(d) {
			d = n
		}
	}
	return d
}

// Pending is the number of receipts held until acknowledged.
func (vr *Verifier) Pending() int { return len(vr.held) }

// Stats returns a copy of the counters.
func (vr *Verifier) Stats() VerifierStats {
	s := vr.stats
	s.Refused, s.Verdicts = map[Reason]uint64{}, map[Reason]uint64{}
	for r, n := range vr.stats.Refused {
		s.Refused[r] = n
	}
	for r, n := range vr.stats.Verdicts {
		s.Verdicts[r] = n
	}
	return s
}

// HasReady reports whether Ready has outputs or a new deadline.
func (vr *Verifier) HasReady() bool {
	return len(vr.rd.Messages) > 0 || len(vr.rd.Dropped) > 0 || !vr.deadline().Equal(vr.lastDeadline)
}

// Ready returns the pending outputs; the slices belong to the caller.
func (vr *Verifier) Ready() VerifierReady {
	rd := vr.rd
	rd.Deadline = vr.deadline()
	return rd
}

// Advance acknowledges the last Ready.
func (vr *Verifier) Advance() {
	vr.lastDeadline = vr.deadline()
	vr.rd = VerifierReady{}
}
