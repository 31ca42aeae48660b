package rbc

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

// Config configures a Core. Durations are measured on the now arguments of
// the inputs; the core never reads a clock.
type Config struct {
	// Domain is signed into every echo and ready so a signature is valid
	// on one chain (or application) only: the genesis id, for instance.
	Domain [32]byte
	// Set is the participant set (the producers, by default).
	Set *Participants
	// Key is this participant's ed25519 private key; its public half must
	// be in Set.
	Key ed25519.PrivateKey
	// MaxPayload bounds a payload in bytes. Echoes carry the payload to
	// every participant (n² copies per instance), so this is for
	// must-deliver control messages, not blocks.
	MaxPayload int
	// MaxOpenPerPeer bounds the instances one participant can make us hold
	// (the instances it opened: its first message named them). Beyond it,
	// its messages for new instances are refused, so a flood of instance
	// ids costs at most MaxOpenPerPeer × n payloads of memory per peer.
	// Our own Broadcast obeys it too.
	MaxOpenPerPeer int
	// RetransmitBase is the first retransmission delay of our echo and
	// ready to participants not known to have delivered; each further one
	// doubles it up to RetransmitMax. It should exceed a few round trips,
	// so a loss-free instance finishes before the first one.
	RetransmitBase time.Duration
	// RetransmitMax caps the backoff.
	RetransmitMax time.Duration
	// RetransmitLimit bounds the retransmission rounds per instance. With
	// the defaults they cover about 30 s: a participant cut off for longer
	// catches up only from certificates it is sent later (or never, if
	// the instance is collected first).
	RetransmitLimit int
	// Horizon: an instance's state and records are garbage-collected this
	// long after it opened, delivered or not, and the origin's floor
	// rises to its seq. It must exceed the longest partition after which
	// totality is expected.
	Horizon time.Duration
	// ValidatePayload checks an origin's payload before we echo it (the
	// application's rule, e.g. "a well-formed signed producer-set
	// change"). It must be deterministic and pure; nil accepts all.
	ValidatePayload func(inst Instance, payload []byte) error
	// Signer signs our echoes and readies; nil means KeySigner{Key}.
	Signer Signer
	// Verifier checks signatures; nil means Ed25519.
	Verifier Verifier
}

// DefaultConfig returns a configuration for a WAN (round trips up to
// ~300 ms) with the given domain, set and key.
func DefaultConfig(domain [32]byte, set *Participants, key ed25519.PrivateKey) Config {
	return Config{
		Domain:          domain,
		Set:             set,
		Key:             key,
		MaxPayload:      64 << 10,
		MaxOpenPerPeer:  256,
		RetransmitBase:  time.Second,
		RetransmitMax:   8 * time.Second,
		RetransmitLimit: 8,
		Horizon:         10 * time.Minute,
	}
}

// Validate checks the configuration; its errors name the field and value.
func (c *Config) Validate() error {
	switch {
	case c.Set == nil:
		return fmt.Errorf("rbc: Config.Set is nil")
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("rbc: Config.Key has %d bytes, want %d", len(c.Key), ed25519.PrivateKeySize)
	case c.MaxPayload < 1 || c.MaxPayload > 1<<30:
		return fmt.Errorf("rbc: Config.MaxPayload %d must be in 1..2^30", c.MaxPayload)
	case c.MaxOpenPerPeer < 1:
		return fmt.Errorf("rbc: Config.MaxOpenPerPeer %d must be at least 1", c.MaxOpenPerPeer)
	case c.RetransmitBase <= 0:
		return fmt.Errorf("rbc: Config.RetransmitBase %v must be positive", c.RetransmitBase)
	case c.RetransmitMax < c.RetransmitBase:
		return fmt.Errorf("rbc: Config.RetransmitMax %v is below RetransmitBase %v", c.RetransmitMax, c.RetransmitBase)
	case c.RetransmitLimit < 0:
		return fmt.Errorf("rbc: Config.RetransmitLimit %d must not be negative", c.RetransmitLimit)
	case c.Horizon <= 0:
		return fmt.Errorf("rbc: Config.Horizon %v must be positive", c.Horizon)
	}
	if _, ok := c.Set.Index(c.Key.Public().(ed25519.PublicKey)); !ok {
		return fmt.Errorf("rbc: Config.Key's public key is not in Config.Set")
	}
	return nil
}
