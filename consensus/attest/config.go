package attest

import (
	"fmt"
	"time"

	"github.com/blockwire/blockwire/chain/block"
)

// Level is one attestation level: how many distinct verifications it needs,
// how long a verifier has to answer, and which verifiers qualify.
type Level struct {
	// Number names the level on the wire and in signatures (Dragonchain
	// used 2..5; the block's own chain is level 1). Levels run in
	// ascending Number order.
	Number uint8
	// Required is the number of distinct valid verifications that complete
	// the level (Dragonchain in production: 3 at level 2, 1 at 3..5).
	Required int
	// Deadline is how long a verifier has to answer a request at this
	// level. Re-asks (every qualifying verifier was asked, some missed)
	// double it per round (backoff), up to Config.MaxDeadline, so a
	// verifier that is merely slow gets longer.
	Deadline time.Duration
	// Labels are the criteria: a verifier qualifies when it announced this
	// level and every label here with the same value (e.g. region=eu).
	// Empty: every verifier of the level qualifies.
	Labels map[string]string
}

// Config configures a Scheduler. Durations are measured on the now
// arguments of the inputs; the scheduler never reads a clock.
type Config struct {
	// ChainID is signed into every verification (the genesis hash).
	ChainID block.Hash
	// Levels, in ascending Number order; at least one.
	Levels []Level
	// MaxRounds bounds the re-ask rounds of a level: once every qualifying
	// verifier was asked (replacements are bounded by their number), each
	// deadline missed asks the missing ones again; after MaxRounds such
	// rounds the block is marked stalled with a reason until Retry.
	// Dragonchain replaced and re-broadcast forever every 35 s.
	MaxRounds int
	// MaxDeadline caps a backed-off deadline.
	MaxDeadline time.Duration
	// MaxPending bounds the blocks the scheduler holds (live and stalled);
	// Add beyond it is refused with ReasonFull so memory stays bounded.
	MaxPending int
	// RecentFinalized is how many finalized blocks are remembered (the
	// verifiers asked, the verifiers counted) so late receipts for them are
	// answered "excess" or "duplicate" rather than "unknown-block".
	RecentFinalized int
}

// MaxRequired bounds Level.Required: a request carries the lower level's
// verifications, 161 bytes each.
const MaxRequired = 64

// DefaultConfig returns Dragonchain's production quorums (3 at level 2,
// then 1 each at levels 3, 4 and 5) with LAN-scale deadlines of 5 s
// (Dragonchain used 35 s over HTTPS and hours for its public-chain level 5).
func DefaultConfig(chain block.Hash) Config {
	lv := func(n uint8, req int) Level { return Level{Number: n, Required: req, Deadline: 5 * time.Second} }
	return Config{
		ChainID:         chain,
		Levels:          []Level{lv(2, 3), lv(3, 1), lv(4, 1), lv(5, 1)},
		MaxRounds:       8,
		MaxDeadline:     time.Minute,
		MaxPending:      100_000,
		RecentFinalized: 4096,
	}
}

// Validate checks the configuration; its errors name the field and value.
func (c *Config) Validate() error {
	if len(c.Levels) == 0 {
		return fmt.Errorf("attest: Config.Levels is empty")
	}
	for i, l := range c.Levels {
		switch {
		case l.Number == 0:
			return fmt.Errorf("attest: Config.Levels[%d].Number must be positive", i)
		case i > 0 && l.Number <= c.Levels[i-1].Number:
			return fmt.Errorf("attest: Config.Levels[%d].Number %d is not above %d", i, l.Number, c.Levels[i-1].Number)
		case l.Required < 1 || l.Required > MaxRequired:
			return fmt.Errorf("attest: Config.Levels[%d].Required %d, want 1..%d", i, l.Required, MaxRequired)
		case l.Deadline < time.Millisecond:
			return fmt.Errorf("attest: Config.Levels[%d].Deadline %v, want at least 1ms", i, l.Deadline)
		}
	}
	switch {
	case c.MaxRounds < 1 || c.MaxRounds > 1000:
		return fmt.Errorf("attest: Config.MaxRounds %d, want 1..1000", c.MaxRounds)
	case c.MaxDeadline < c.maxBaseDeadline():
		return fmt.Errorf("attest: Config.MaxDeadline %v is below a level's Deadline %v", c.MaxDeadline, c.maxBaseDeadline())
	case c.MaxPending < 1:
		return fmt.Errorf("attest: Config.MaxPending %d must be at least 1", c.MaxPending)
	case c.RecentFinalized < 0:
		return fmt.Errorf("attest: Config.RecentFinalized %d must not be negative", c.RecentFinalized)
	}
	return nil
}

func (c *Config) maxBaseDeadline() time.Duration {
	var d time.Duration
	for _, l := range c.Levels {
		d = max(d, l.Deadline)
	}
	return d
}

// levelIndex returns the index in Levels of level number n.
func (c *Config) levelIndex(n uint8) (int, bool) {
	for i, l := range c.Levels {
		if l.Number == n {
			return i, true
		}
	}
	return 0, false
}

// deadline is the answer time at level i after misses missed rounds.
func (c *Config) deadline(i, misses int) time.Duration {
	d := c.Levels[i].Deadline
	for k := 0; k < misses && d < c.MaxDeadline; k++ {
		d *= 2
	}
	return min(d, c.MaxDeadline)
}
