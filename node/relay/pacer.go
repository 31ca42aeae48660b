package relay

import (
	"fmt"
	"time"
)

// PacerConfig paces a mempool hand-off: a producer that lost leadership
// forwards its pending transactions to the new leader, whose link limits
// the messages per second it takes from one peer (link.ConnConfig's
// InboundMsgRate for the routing lane, 10,000/s, burst 20,000 by default)
// and charges floods. A hand-off must stay well below that, leaving room
// for the relays the producer also forwards (issue 11, attack 3).
type PacerConfig struct {
	// Rate is the submits per second a hand-off sends; > 0.
	Rate float64
	// Burst is how many may go at once after a pause; ≥ 1.
	Burst int
	// MaxInFlight bounds the hand-off submits sent and not yet answered:
	// a leader that answers slowly slows the hand-off instead of
	// collecting an unbounded backlog; ≥ 1.
	MaxInFlight int
}

// DefaultPacerConfig sends 2,500 submits/s (a quarter of the link's
// default inbound limit) in bursts of at most 500, with at most 5,000
// awaiting an answer: 100,000 transactions take 40 s.
func DefaultPacerConfig() PacerConfig {
	return PacerConfig{Rate: 2500, Burst: 500, MaxInFlight: 5000}
}

// Validate reports the first invalid field.
func (c PacerConfig) Validate() error {
	switch {
	case c.Rate <= 0:
		return fmt.Errorf("relay: PacerConfig.Rate %g, want > 0", c.Rate)
	case c.Burst < 1:
		return fmt.Errorf("relay: PacerConfig.Burst %d, want ≥ 1", c.Burst)
	case c.MaxInFlight < 1:
		return fmt.Errorf("relay: PacerConfig.MaxInFlight %d, want ≥ 1", c.MaxInFlight)
	}
	return nil
}

// Pacer is a token bucket on the driver's clock. Invariant: 0 ≤ tokens ≤
// Burst.
type Pacer struct {
	cfg    PacerConfig
	tokens float64
	last   time.Time
}

// NewPacer returns a full pacer; cfg must be valid.
func NewPacer(cfg PacerConfig, now time.Time) (*Pacer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pacer{cfg: cfg, tokens: float64(cfg.Burst), last: now}, nil
}

// Config returns the pacer's settings.
func (p *Pacer) Config() PacerConfig { return p.cfg }

func (p *Pacer) refill(now time.Time) {
	if dt := now.Sub(p.last); dt > 0 {
		p.tokens = min(float64(p.cfg.Burst), p.tokens+dt.Seconds()*p.cfg.Rate)
		p.last = now
	}
}

// Allow returns how many submits may be sent now, at most want, with
// inFlight hand-off submits awaiting an answer, and takes them.
func (p *Pacer) Allow(now time.Time, want, inFlight int) int {
	p.refill(now)
	n := min(want, int(p.tokens), max(p.cfg.MaxInFlight-inFlight, 0))
	if n > 0 {
		p.tokens -= float64(n)
	}
	return n
}

// Next returns when at least one more submit may go (now if one may),
// ignoring MaxInFlight (an answer frees a slot; the driver calls Allow
// again then).
func (p *Pacer) Next(now time.Time) time.Time {
	p.refill(now)
	if p.tokens >= 1 {
		return now
	}
	need := (1 - p.tokens) / p.cfg.Rate
	return now.Add(time.Duration(need*float64(time.Second)) + time.Nanosecond)
}
