package rbcrun

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/transport/rbc"
)

// Config configures a Runner.
type Config struct {
	// Core configures the state machine: Domain (the chain id), Key (this
	// node's ed25519 key), the limits, timers and ValidatePayload. Its Set
	// is ignored: the runner fills it with the set in force (New's keys,
	// then SetParticipants).
	Core rbc.Config
	// Now is the clock (time.Now by default). The one timer is a
	// time.Timer, so under testing/synctest both are virtual.
	Now func() time.Time
	// InboundQueue bounds the messages waiting for the runner's goroutine.
	// The messenger's handler never blocks: beyond it a message is dropped
	// and counted (Status.Counters.InboundDropped); retransmission covers
	// the loss. 1024 absorbs an instance's n² messages for n up to ~30.
	InboundQueue int
	// Recent is how many deliveries Status keeps (newest last).
	Recent int
	// Logger receives refusals (debug), store failures (error) and set
	// changes (info).
	Logger zerolog.Logger
}

// DefaultConfig returns rbc.DefaultConfig's core settings for the chain
// domain and key, a 1024-message inbound queue and 64 recent deliveries.
func DefaultConfig(domain [32]byte, key ed25519.PrivateKey) Config {
	return Config{Core: rbc.DefaultConfig(domain, nil, key), InboundQueue: 1024, Recent: 64}
}

// Validate checks what the runner adds; the core's fields are checked by
// rbc.Config.Validate when a set is installed.
func (c *Config) Validate() error {
	switch {
	case len(c.Core.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("rbcrun: Config.Core.Key has %d bytes, want %d", len(c.Core.Key), ed25519.PrivateKeySize)
	case c.InboundQueue < 1:
		return fmt.Errorf("rbcrun: Config.InboundQueue %d must be at least 1", c.InboundQueue)
	case c.Recent < 0:
		return fmt.Errorf("rbcrun: Config.Recent %d must not be negative", c.Recent)
	}
	return nil
}
